"""Product pages arrive with the product-pages issue; the app exists from the start."""
