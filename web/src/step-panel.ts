// The steps the signed-in user may take now (from GET …/record), as buttons; a button opens the
// step's form below them. After a step the page reloads its record.
import { button, h } from './dom';
import { DecisionForm, type DecisionFormOptions } from './decision-form';
import type { DecisionBody, Step } from './review-data';

export interface StepPanelOptions {
  /** what the panel says when no step is open to the user */
  none: string;
  /** a hint per step (what it needs that is not there yet), shown under its button */
  hint?: (step: Step) => string | null;
  form?: (step: Step) => DecisionFormOptions;
  send: (body: DecisionBody) => Promise<void>;
}

export function stepPanel(root: HTMLElement, steps: Step[], options: StepPanelOptions): void {
  const holder = h('div', 'step-form');
  const buttons = h('div', 'step-buttons');
  if (steps.length === 0) buttons.append(h('p', 'muted', options.none));
  for (const step of steps) {
    const open = button(step.labelZh, step.action === 'return' || step.action === 'object' || step.action.startsWith('withdraw') ? 'danger' : '');
    open.dataset.action = step.action;
    open.addEventListener('click', () => {
      const form = new DecisionForm(step, options.send, () => holder.replaceChildren(), options.form?.(step) ?? {});
      holder.replaceChildren(form.root);
      form.focus();
    });
    const hint = options.hint?.(step);
    buttons.append(hint ? h('span', 'step', open, h('span', 'muted small', hint)) : open);
  }
  root.replaceChildren(buttons, holder);
}
