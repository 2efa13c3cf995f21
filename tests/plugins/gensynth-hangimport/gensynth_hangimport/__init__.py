"""A plugin whose import never finishes: only discovery in a child process with a time limit survives it."""

import threading

threading.Event().wait()
