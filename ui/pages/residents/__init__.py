"""居民: the resident list and card."""
