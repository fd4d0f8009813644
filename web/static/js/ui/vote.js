// Votes in the room: the chair's "open a vote" dialog, the delegate's ballot
// and the results.

import { t, has } from '../i18n.js';
import { h } from './dom.js';

/** @param {string} o */
const optionLabel = (o) => (has('vote.' + o) ? t('vote.' + o) : o);

/**
 * @typedef {object} VoteSetup
 * @property {string} question
 * @property {boolean} secret
 * @property {'present'|'all'} base whom the rule counts: delegates present, or all delegates
 * @property {'majority'|'two_thirds'} rule more than half, or at least two thirds, for "yes"
 */

/**
 * voteDialog asks the chair for the question, secrecy, base and rule, and
 * opens the vote.
 * @param {(v: VoteSetup) => void} onStart
 */
export function voteDialog(onStart) {
	const q = h('textarea', { id: 'vote-question', rows: '3', required: true });
	const secret = h('input', { type: 'checkbox', id: 'vote-secret' });
	const base = h('select', { id: 'vote-base' },
		h('option', { value: 'present' }, t('vote.base.present')), h('option', { value: 'all' }, t('vote.base.all')));
	const rule = h('select', { id: 'vote-rule' },
		h('option', { value: 'majority' }, t('vote.rule.majority')), h('option', { value: 'two_thirds' }, t('vote.rule.two_thirds')));
	const dlg = h('dialog', { class: 'vote-dialog', 'aria-labelledby': 'vote-dialog-title' },
		h('form', { method: 'dialog' },
			h('h2', { id: 'vote-dialog-title' }, t('room.openVote')),
			h('label', { for: 'vote-question' }, t('room.voteQuestion')), q,
			h('label', { class: 'check' }, secret, ' ', t('room.voteSecret')),
			h('label', { for: 'vote-rule' }, t('vote.rule')), rule,
			h('label', { for: 'vote-base' }, t('vote.base')), base,
			h('div', { class: 'actions' },
				h('button', { type: 'submit', value: 'start', class: 'primary', id: 'vote-start' }, t('room.voteStart')),
				h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, t('room.cancel')))));
	dlg.addEventListener('close', () => {
		if (dlg.returnValue === 'start' && q.value.trim()) {
			onStart({ question: q.value.trim(), secret: secret.checked,
				base: base.value === 'all' ? 'all' : 'present', rule: rule.value === 'two_thirds' ? 'two_thirds' : 'majority' });
		}
		dlg.remove();
	});
	document.body.append(dlg);
	dlg.showModal();
	q.focus();
}

/**
 * votePanel shows the open vote (ballot buttons for voters, the running count
 * for the chair) or the last result.
 * @param {any} snap
 * @param {{canVote: boolean, voted: Set<number>, onCast: (vote: number, choice: string) => void}} o
 */
export function votePanel(snap, o) {
	const v = snap.vote;
	if (v && v.status === 'open') {
		const done = o.voted.has(v.id);
		return h('section', { class: 'card vote open', id: 'vote', 'aria-live': 'polite' },
			h('h2', {}, t('room.vote')),
			h('p', { class: 'question' }, v.question),
			v.rule && h('p', { class: 'muted', id: 'vote-rule-text' }, t('vote.needs', { rule: t('vote.rule.' + v.rule), base: t('vote.base.' + (v.base ?? 'present')) })),
			v.eligible > 0 && h('p', { class: 'muted', id: 'vote-count' }, t('room.ballots', { n: v.ballots, m: v.eligible })),
			o.canVote && (done
				? h('p', { class: 'ok' }, t('room.voted'))
				: h('div', { class: 'actions wrap' }, v.options.map((/** @type {string} */ c) =>
					h('button', { type: 'button', class: 'ballot', 'data-choice': c, onclick: () => o.onCast(v.id, c) }, optionLabel(c))))));
	}
	const last = (snap.closed_votes ?? []).at(-1);
	if (!last) return null;
	const total = Object.values(last.counts ?? {}).reduce((a, b) => a + Number(b), 0);
	return h('section', { class: 'card vote', id: 'vote-result' },
		h('h2', {}, t('room.results')),
		h('p', { class: 'question' }, last.question),
		last.passed != null && h('p', { class: 'verdict ' + (last.passed ? 'passed' : 'failed'), id: 'vote-verdict', 'data-passed': String(last.passed) },
			h('strong', {}, t(last.passed ? 'vote.passed' : 'vote.failed')), ' ',
			h('span', { class: 'muted' }, t('vote.verdict', { n: last.counts?.[last.options[0]] ?? 0, m: last.base_count ?? 0,
				rule: t('vote.rule.' + (last.rule ?? 'majority')), base: t('vote.base.' + (last.base ?? 'present')) }))),
		h('ul', { class: 'results' }, last.options.map((/** @type {string} */ c) => {
			const n = last.counts?.[c] ?? 0;
			return h('li', { 'data-choice': c },
				h('span', {}, optionLabel(c)), h('strong', {}, String(n)),
				h('meter', { min: '0', max: String(Math.max(1, total)), value: String(n), 'aria-hidden': 'true' }));
		})));
}
