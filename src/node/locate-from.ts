import { dirname, isAbsolute, relative, resolve } from 'node:path';

/**
 * A path recorded relative to a model's folder (quantize records its --calib folder so), as a
 * path from the working folder: what a printed command needs to run where it is printed.
 */
export function locateFrom(modelPath: string): (fromModel: string) => string {
  return (fromModel) => {
    if (isAbsolute(fromModel)) return fromModel;
    return relative(process.cwd(), resolve(dirname(modelPath), fromModel)) || '.';
  };
}
