"""The whole marketplace on one machine (`make run`): servers from `libs.devstack`, the six
services as processes, and the seed marketplace. Project-level, so it may import `seeds`;
`libs/` never imports it."""
