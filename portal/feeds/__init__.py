"""Feeds and discovery: Atom feeds of newly published cases (all, per theme, province or unit)
and of expert comments, and the sitemap of the public pages."""
