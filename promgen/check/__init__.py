"""What `validate` judges beyond the schema: each loaded spec's meaning, and the specs of one stack
against each other. Checks read the loaded spec (and PromQL through `promgen.judge`); they never
derive output."""
