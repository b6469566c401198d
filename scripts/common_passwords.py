"""Print actions/data/common-passwords.txt: the 10,000 most common passwords of 8 characters or more.

Needs zxcvbn (pip install zxcvbn==4.5.0), which is not a dependency of the service: its
"passwords" frequency list (Xato's corpus of 10 million leaked passwords) is read once here
and the result is committed.

    python scripts/common_passwords.py > actions/data/common-passwords.txt
"""
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8  # actions.validation.PASSWORD_MIN_LENGTH: shorter ones are refused anyway
COUNT = 10_000

HEADER = """\
# The 10,000 most common passwords of 8 characters or more, most common first, lower-case.
# Taken from the "passwords" frequency list of zxcvbn 4.5.0 (PyPI, MIT licence; the list comes
# from Xato's corpus of 10 million leaked passwords), keeping those of at least 8 characters
# (actions.validation.PASSWORD_MIN_LENGTH refuses shorter ones anyway). Regenerate with:
#   pip install zxcvbn==4.5.0 && python scripts/common_passwords.py > actions/data/common-passwords.txt"""

if __name__ == "__main__":
    print(HEADER)
    print("\n".join([word for word in FREQUENCY_LISTS["passwords"] if len(word) >= MIN_LENGTH][:COUNT]))
