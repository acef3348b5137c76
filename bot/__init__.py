"""The platform-neutral core: commands in, replies out. Never imports a platform SDK or aiohttp."""
