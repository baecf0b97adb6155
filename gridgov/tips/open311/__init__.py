"""Open311 GeoReport v2 at /open311/v2/: the county's public categories as services, its cases as service
requests, and tips filed by civic-tech clients through the tip line (docs/open311.md)."""
