"""Training a variant and keeping the run: the TensorFlow and Keras in use, determinism,
the compiled loop and Keras' fit, the run record and the run store."""
