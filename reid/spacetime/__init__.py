"""The label-free camera network: entry/exit zones, walking links and their transit times
corrected by random pairs, shared views, clock offsets, re-entries (`topology`), learnt from
confident appearance matches (`network_model`), written as topology.json (`topology_file`), and
the space-time likelihood that association multiplies into appearance (`likelihood`). Nothing
here reads ground truth."""
