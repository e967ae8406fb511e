"""What users write: the spec models and the loader that maps problems to file:line:col."""
