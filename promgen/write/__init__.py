"""Writing output: planned files into DIR safely (never through a link, staged, journaled) or the
diff `render --check` shows; promgen's records outside DIR (cache) and the digest of what a render
read (fingerprint). It knows files and bytes, not what they mean."""
