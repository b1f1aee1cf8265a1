"""Usernames that only look like another: mixed scripts and look-alike skeletons. Pure, no Django.

Two checks, a small part of Unicode TR39 ("Unicode security mechanisms"):
- One script per name (TR39's "single script" restriction): the letters of a username all come from one
  script, so "pаypal" with a Cyrillic "а" among Latin letters is refused outright.
- A skeleton: each character mapped to the Latin letter it looks like (Cyrillic and Greek look-alikes, and
  the digit/letter pairs 0/o, 1/l, "rn"/"m"), case folded. A new name whose skeleton equals an existing
  user's is refused, so an all-Cyrillic "рауоп" cannot pose as "payon".
The full TR39 table has thousands of entries, mostly for scripts that do not collide with Latin usernames
here; this one covers the look-alikes of the Latin alphabet that Cyrillic and Greek keyboards produce.
"""

import unicodedata

# Cyrillic and Greek letters drawn like a Latin letter, lower case (names are case folded first).
LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q",
    "ԝ": "w", "ɡ": "g", "ӏ": "l",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    "0": "o", "1": "l", "|": "l",
}


def scripts(name: str) -> set[str]:
    """The scripts of the letters in a name ("LATIN", "CYRILLIC", ...); digits and symbols have none."""
    found = set()
    for char in name:
        if char.isalpha():
            found.add(unicodedata.name(char, "UNKNOWN").split(" ")[0])
    return found


def skeleton(name: str) -> str:
    """What a name looks like: NFKC, case folded, look-alikes mapped to Latin, "rn" read as "m"."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(LOOKALIKES.get(char, char) for char in text)
    return text.replace("rn", "m")


def confusable_problem(name: str, existing: "list[str] | set[str]") -> str:
    """Why the name is refused ("" if it is fine): mixed scripts, or a look-alike of an existing name."""
    used = scripts(name)
    if len(used) > 1:
        return ("Use letters from one alphabet only: this name mixes "
                f"{' and '.join(sorted(s.title() for s in used))} letters, which can look like another name.")
    mine = skeleton(name)
    for other in existing:
        if other != name and skeleton(other) == mine:
            return "This name looks too much like an existing user's. Choose another."
    return ""
