"""freezecheck: a pytest suite reproducing "frozen random layers cost LeNet nothing on MNIST".

Importing this package is cheap: TensorFlow is imported only by the functions that train.
"""

__version__ = "0.1.0"
