"""Stop early, with a clear message, when python3 is too old for the course."""
import sys

if sys.version_info < (3, 11):
    sys.exit(
        f"The course needs Python 3.11; `python3` here is {sys.version.split()[0]}.\n"
        "Install Python 3.11 and run again, or point make at it: make lab PYTHON=python3.11"
    )
if sys.version_info[:2] != (3, 11):
    print(f"note: the course is tested on Python 3.11; you have {sys.version.split()[0]}.")
