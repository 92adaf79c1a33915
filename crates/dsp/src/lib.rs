//! IQ samples to DJI DroneID transport blocks.
