/** A folder with `count` synthetic printed pages of `width`×`height` pixels; the same seed gives the same pages. */
export declare function textPages(count: number, width?: number, height?: number, seed?: number): Promise<string>;
