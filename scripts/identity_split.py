"""The identity split keyface train uses (KeyfaceTraining's DataSplit), for the reference scripts beside it."""


def fnv1a64(text):
    """FNV-1a 64-bit hash of the UTF-8 bytes."""
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def validation_groups(groups, fraction):
    """The names held out: the first round(fraction * count) distinct groups in (hash, name) order."""
    names = sorted(set(groups), key=lambda s: (fnv1a64(s), s))
    return set(names[: int(round(fraction * len(names)))])
