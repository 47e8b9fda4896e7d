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

  it('refuses a layout that puts a spatial axis where the channels go, and per-channel values of the wrong count', () => {
    expect(() => imageLayout([1, 128, 128, 3], parsePreprocess('layout=nchw'), 'input:0')).toThrow("input 'input:0' [1, 128, 128, 3] read as NCHW has 128 channels; images give 1, 3 or 4: is --preprocess layout=nchw right for this model?");
    expect(() => imageLayout([1, 3, 64, 64], parsePreprocess('mean=0.5/0.5'), 'x')).toThrow("--preprocess mean has 2 values; input 'x' has 3 channel(s)");
    expect(imageLayout([1, 3, 64, 64], parsePreprocess('mean=0.5/0.5/0.5,std=0.2'), 'x').channels).toBe(3);
    expect(() => imageLayout([1, 3, 128, 128], parsePreprocess('resize=64'), 'x')).toThrow("--preprocess resize gives 64×64 images, but input 'x' takes 128×128");
    expect(imageLayout([1, 3, 'h', 'w'], parsePreprocess('resize=64x32'), 'x')).toMatchObject({ width: 64, height: 32 });
    expect(() => imageLayout(['n', 3, 48, 'w'], parsePreprocess('resize=320'), 'x')).toThrow("--preprocess resize gives 320×320 images, but input 'x' takes any width×48: give --preprocess resize=WIDTHx48");
    expect(imageLayout(['n', 3, 48, 'w'], parsePreprocess('resize=320x48'), 'x')).toMatchObject({ width: 320, height: 48 });
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
