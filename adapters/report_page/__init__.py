"""The leads' report page: server-rendered HTML that works without JavaScript and prints well."""
