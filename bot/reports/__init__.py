"""What leads receive on schedule: HEI digests, the faculty's weekly summary and its chart."""
