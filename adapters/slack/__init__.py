"""The Slack edge: slash commands, buttons, modals and App Home through slack-bolt."""
