//! The SimCLR view pipeline.
