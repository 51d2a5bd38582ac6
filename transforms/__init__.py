"""glovec.transforms: the compiler passes (libcst): find sites, check specs, rewrite, materialize, rules."""
