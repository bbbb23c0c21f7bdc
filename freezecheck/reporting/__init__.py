"""What a session and the measurements say: the session report, the comparison across
environments, the expectations table and the findings plots."""
