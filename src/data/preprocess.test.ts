import { describe, expect, it } from 'vitest';
import { imageLayout, parsePreprocess, pixelsToTensor } from './preprocess.js';

describe('--preprocess', () => {
  it('parses the documented form', () => {
    const spec = parsePreprocess('resize=224,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw');
    expect(spec).toMatchObject({ width: 224, height: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'nchw', scale: 1 / 255 });
    expect(parsePreprocess('resize=320x240,channels=bgr,fit=cover')).toMatchObject({ width: 320, height: 240, channels: 'bgr', fit: 'cover' });
  });

  it('names the part at fault', () => {
    expect(() => parsePreprocess('resize=big')).toThrow('--preprocess: resize=big: expected SIZE or WIDTHxHEIGHT');
    expect(() => parsePreprocess('colour=red')).toThrow("unknown key 'colour'");
    expect(() => parsePreprocess('std=0')).toThrow('std cannot be 0');
  });

  it('finds the layout and size from the input shape', () => {
    expect(imageLayout([1, 3, 1024, 1024], parsePreprocess(''), 'x')).toEqual({ layout: 'nchw', channels: 3, width: 1024, height: 1024 });
    expect(imageLayout([1, 320, 320, 4], parsePreprocess(''), 'x')).toEqual({ layout: 'nhwc', channels: 4, width: 320, height: 320 });
    expect(() => imageLayout(['n', 3, 'h', 'w'], parsePreprocess(''), 'x')).toThrow(/resize=WIDTHxHEIGHT/);
  });

  it('normalises pixels into the right layout and channel order', () => {
    // Two pixels: pure red and pure blue, RGBA.
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 0, 255, 255]);
    const nchw = pixelsToTensor(rgba, { layout: 'nchw', channels: 3, width: 2, height: 1 }, parsePreprocess('mean=0.5,std=0.5'));
    expect(Array.from(nchw)).toEqual([1, -1, -1, -1, -1, 1]);
    const nhwcBgr = pixelsToTensor(rgba, { layout: 'nhwc', channels: 3, width: 2, height: 1 }, parsePreprocess('channels=bgr'));
    expect(Array.from(nhwcBgr)).toEqual([0, 0, 1, 1, 0, 0]);
  });
});
