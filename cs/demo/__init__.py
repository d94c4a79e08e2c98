"""The demo centre: the guided tour and the bulk generator of a large centre's history."""
