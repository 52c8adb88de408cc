/// The version of the OCI runtime specification that berth implements and writes
/// into the `ociVersion` field of generated documents.
public let ociSpecVersion = "1.2.0"
