"""The sitemap registry: every app's sitemaps under one /sitemap.xml."""

SITEMAPS = {}
