"""The shop page by job: its form, its queries, its listing cards and its SEO."""
