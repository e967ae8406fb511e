"""Reading specs: files and directories on the command line, `extends:` bases merged, the YAML
mapped to the pydantic spec models with every problem at its `file:line:col`. It owns the spec's
value types (durations, sizes, URLs, time ranges, Go templates) and reads nothing but spec files."""
