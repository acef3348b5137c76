"""Personal data: a person's export and erasure (data-subject rights), and retention (purging
what is past its keeping time). See docs/data-protection.md."""
