/** Writes `count` synthetic printed pages of `width`×`height` pixels into the folder `dir` and returns it; the same seed gives the same pages. */
export declare function writeTextPages(dir: string, count: number, width?: number, height?: number, seed?: number): Promise<string>;
