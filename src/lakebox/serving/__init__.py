"""Online serving: the inference gateway, deployment workers, batching, and the control plane's side of them."""
