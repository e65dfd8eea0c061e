// Cerbos's gRPC API (cerbos.svc.v1.CerbosService) and the gRPC health service. The only place
// that imports @grpc/grpc-js and the generated protobuf code in gen/.

export { createGrpcServer, type GrpcServer, type GrpcServerOptions } from "./grpc-server.ts";
