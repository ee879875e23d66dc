"""eStreamer client for Cisco Secure Firewall Management Center (FMC)."""

__version__ = "0.1.0"
