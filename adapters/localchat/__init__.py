"""The local chat: try PlaceBot in a browser with no Slack or Teams account."""
