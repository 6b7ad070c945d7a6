"""JAX's persistent compilation cache, switched on for a block unless the user configured one.

Tuning trials of one shape compile the same XLA programs (the seed changes the weights, not the
program), and every ``fitbench predict`` of a run compiles its model's forward pass again: with
the cache, a later process reads the program from disk instead of compiling it for seconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def compilation_cache(folder: Path) -> Iterator[None]:
    """JAX's persistent compilation cache in ``folder`` while the block runs, unless the user
    configured one (then theirs is used). Processes share the folder."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cache

    if jax.config.jax_compilation_cache_dir is not None:  # type: ignore[attr-defined]  # JAX declares its options at run time
        yield
        return
    previous = jax.config.jax_persistent_cache_min_compile_time_secs  # type: ignore[attr-defined]  # (the same)
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # ours take ~0.4 s each
    cache.reset_cache()  # JAX decides once per process whether to use a cache: let it decide again
    try:
        yield
    finally:
        jax.config.update("jax_compilation_cache_dir", None)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", previous)
        cache.reset_cache()
