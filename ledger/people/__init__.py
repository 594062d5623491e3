"""The register as people read it: a child's record, a sponsor's, lists of either, in one place for every door."""
