"""
A LocMem cache bounded in bytes as well as in entries: the default cache, holding the page cache
(briefing/cache.py) in each worker process.

Django's LocMemCache bounds the number of its entries (MAX_ENTRIES), not their size, and a page
is 5 KB or 13 MB. This one also keeps the pickled size of what it holds under MAX_BYTES (an
OPTIONS entry): when a value stored takes it over, the entries stored longest ago are deleted
until it fits; a value larger than MAX_BYTES is not stored at all (`add` returns False, `set`
deletes the key's previous value, as storing would have replaced it). The sizes are kept beside
the cache, through public cache methods only; an entry the cache dropped by itself (expired, or
culled at MAX_ENTRIES) is forgotten the next time the budget is checked, so the sizes counted
are never fewer than the sizes held.
"""

import pickle
from collections import OrderedDict
from threading import Lock

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

DEFAULT_MAX_BYTES = 64 * 1024 * 1024

# As LocMemCache keeps its entries: per process, by LOCATION, shared by every thread's instance.
_sizes = {}
_locks = {}


class BoundedLocMemCache(LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        self.max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", DEFAULT_MAX_BYTES))
        # (key, version) -> pickled size, in the order stored, oldest first.
        self.sizes = _sizes.setdefault(name, OrderedDict())
        self.sizes_lock = _locks.setdefault(name, Lock())

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        size = self.size_of(value)
        if size > self.max_bytes:
            return False
        with self.sizes_lock:
            added = super().add(key, value, timeout, version)
            if added:
                self.stored(self.entry(key, version), size)
        return added

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        size = self.size_of(value)
        with self.sizes_lock:
            if size > self.max_bytes:
                self.sizes.pop(self.entry(key, version), None)
                super().delete(key, version)
                return
            super().set(key, value, timeout, version)
            self.stored(self.entry(key, version), size)

    def delete(self, key, version=None):
        with self.sizes_lock:
            self.sizes.pop(self.entry(key, version), None)
            return super().delete(key, version)

    def clear(self):
        with self.sizes_lock:
            self.sizes.clear()
            super().clear()

    def size_of(self, value):
        return len(pickle.dumps(value, self.pickle_protocol))

    def entry(self, key, version):
        return key, self.version if version is None else version

    def stored(self, entry, size):
        """Count a value just stored; over the budget, delete the entries stored longest ago."""
        self.sizes.pop(entry, None)
        self.sizes[entry] = size
        total = sum(self.sizes.values())
        if total <= self.max_bytes:
            return
        for old in list(self.sizes):
            if not self.has_key(*old):  # expired, or culled by LocMemCache
                total -= self.sizes.pop(old)
        while total > self.max_bytes:  # stops before the new entry: it fits on its own
            old, old_size = self.sizes.popitem(last=False)
            super().delete(*old)
            total -= old_size
