"""Putting TensorFlow into a deterministic state: seeds, op determinism, thread counts.

TensorFlow promises identical results for identical inputs only on the same hardware,
software stack and thread count, so the thread count is part of a run's recipe. It can
be set once per process, before TensorFlow's runtime starts; a later request for a
different count is refused rather than silently ignored.
"""

from __future__ import annotations

from freezecheck.errors import DeterminismError


def make_deterministic(seed: int, threads: int) -> None:
    """Seed Python, numpy and TensorFlow, enable op determinism and fix thread counts.

    ``threads`` is used for both intra-op and inter-op parallelism. Raises
    :class:`DeterminismError` if this process already runs TensorFlow with other counts.
    """
    from freezecheck.train.backend import keras as keras_module

    keras = keras_module()  # first: fixes this process's threads if TF has not started
    import tensorflow as tf

    threading = tf.config.threading
    current = (threading.get_intra_op_parallelism_threads(),
               threading.get_inter_op_parallelism_threads())
    if current != (threads, threads):
        try:
            threading.set_intra_op_parallelism_threads(threads)
            threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError as exc:
            raise DeterminismError(
                f"TensorFlow already runs in this process with intra/inter-op threads "
                f"{current}; a run asking for threads={threads} cannot change that. Run "
                f"recipes with different thread counts in separate processes."
            ) from exc
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
