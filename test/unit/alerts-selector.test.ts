// --selector text → label matchers (and the one-line errors for bad ones).

import { describe, expect, it } from 'vitest';
import { parseSelector, selectorText } from '../../src/alerts/selector.js';

describe('--selector', () => {
  it('reads the four operators, the three quote styles and escapes', () => {
    expect(parseSelector('{namespace="prod", job=~"vllm.*",pod!="p-1", model_name!~`llama\\d+`, x=\'a\\"b\'}')).toEqual([
      { label: 'namespace', op: '=', value: 'prod' },
      { label: 'job', op: '=~', value: 'vllm.*' },
      { label: 'pod', op: '!=', value: 'p-1' },
      { label: 'model_name', op: '!~', value: 'llama\\d+' },
      { label: 'x', op: '=', value: 'a"b' },
    ]);
    expect(parseSelector('namespace="prod",')).toEqual([{ label: 'namespace', op: '=', value: 'prod' }]);
    expect(parseSelector('{}')).toEqual([]);
    expect(selectorText(parseSelector('{a="x\\"y",b=~"z"}'))).toBe('{a="x\\"y",b=~"z"}');
  });

  it('refuses what Prometheus would refuse, in one line', () => {
    expect(() => parseSelector('{job=vllm}')).toThrow(/the value of job must be quoted/);
    expect(() => parseSelector('{job="vllm"')).toThrow(/missing closing \}/);
    expect(() => parseSelector('{job=~"("}')).toThrow(/not a valid regular expression/);
    expect(() => parseSelector('{1job="x"}')).toThrow(/expected a label name/);
    expect(() => parseSelector('{job="a" pod="b"}')).toThrow(/expected ,/);
    expect(() => parseSelector('{job<"a"}')).toThrow(/expected =, !=, =~ or !~ after job/);
  });
});
