"""Count entry ingestion: every entry, streamed by a scanner or sent by AddCountItem, goes
streams (or one call) -> committer (group commit) -> recorder (one transaction per batch)."""
