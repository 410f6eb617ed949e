"""pinot-control-plane: Metacontroller hooks that run Apache Pinot on Kubernetes."""

GROUP = "pinot.controlplane.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

__all__ = ["API_VERSION", "GROUP", "VERSION"]
