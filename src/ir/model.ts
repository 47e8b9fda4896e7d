import type { Attribute } from './attribute.js';
import { Graph } from './graph.js';
import { NameAllocator } from './names.js';

/** A model-local function (FunctionProto). Its body is a Graph whose inputs and outputs are the formal parameters. */
export interface FunctionDef {
  name: string;
  domain: string;
  overload: string;
  /** Names of the attributes the function takes, and defaults for some (attribute_proto). */
  attributeNames: string[];
  attributeDefaults: Attribute[];
  opsetImports: Map<string, number>;
  body: Graph;
  docString: string;
  metadataProps: [string, string][];
}

export interface TrainingInfo {
  initialization?: Graph;
  algorithm?: Graph;
  initializationBinding: [string, string][];
  updateBinding: [string, string][];
}

/** The whole model: metadata, opset imports, the main graph, local functions, training info. */
export class Model {
  irVersion = 8;
  /** Domain ('' = ai.onnx) → opset version, in file order. */
  opsetImports = new Map<string, number>();
  producerName = '';
  producerVersion = '';
  domain = '';
  modelVersion = 0n;
  docString = '';
  metadataProps: [string, string][] = [];
  functions: FunctionDef[] = [];
  trainingInfo: TrainingInfo[] = [];
  /** ModelProto.configuration (multi-device), kept as plain data for the round trip. */
  configuration: unknown[] = [];
  private names: NameAllocator | undefined;

  constructor(public graph: Graph = new Graph('main')) {}

  /** The opset version imported for a domain ('' or 'ai.onnx' for the default one). */
  opset(domain = ''): number | undefined {
    return this.opsetImports.get(domain === 'ai.onnx' ? '' : domain);
  }

  /** Main graph and all nested subgraphs. */
  allGraphs(): Graph[] {
    return [...this.graph.allGraphs()];
  }

  /** A value or node name not used anywhere in the model yet, derived from `base`. */
  freshName(base: string): string {
    this.names ??= NameAllocator.forModel(this);
    return this.names.fresh(base);
  }

  setMetadata(key: string, value: string): void {
    const entry = this.metadataProps.find(([k]) => k === key);
    if (entry) entry[1] = value;
    else this.metadataProps.push([key, value]);
  }
}
