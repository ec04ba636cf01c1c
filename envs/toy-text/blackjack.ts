/**
 * Blackjack, as Gymnasium 1.4's `BlackjackEnv` (Blackjack-v1): Sutton and Barto's Example 5.1, an infinite
 * deck, the dealer hitting until 17, and the `natural` / `sab` rule variants.
 */
import { BaseEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidAction, InvalidConfig, describeValue } from '../../core/errors.js';
import type { Scene, Shape } from '../../core/scene.js';
import { discrete, tuple, type DiscreteSpace, type Space } from '../../core/spaces.js';
import { stateFields as f, stateSchema } from '../snapshot.js';
import { boolOption, checkKwargKeys } from './tabular.js';

/** Card values of one suit: ace = 1, 2-10, and jack, queen, king = 10. */
export const DECK: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10];

/** Blackjack's observation: [player sum, dealer's showing card (1 = ace), usable ace (0 or 1)]. */
export type BlackjackObs = [playerSum: number, dealerCard: number, usableAce: number];

/** True when the hand holds an ace that can count as 11 without busting. */
export function usableAce(hand: readonly number[]): boolean {
  return hand.includes(1) && handTotal(hand) + 10 <= 21;
}

function handTotal(hand: readonly number[]): number {
  let sum = 0;
  for (const card of hand) sum += card;
  return sum;
}

/** The hand's value, counting a usable ace as 11. */
export function sumHand(hand: readonly number[]): number {
  return usableAce(hand) ? handTotal(hand) + 10 : handTotal(hand);
}

/** True when the hand's value exceeds 21. */
export function isBust(hand: readonly number[]): boolean {
  return sumHand(hand) > 21;
}

/** The hand's score: its value, or 0 when bust. */
export function scoreHand(hand: readonly number[]): number {
  return isBust(hand) ? 0 : sumHand(hand);
}

/** True for a two-card 21: an ace and a ten-valued card. */
export function isNatural(hand: readonly number[]): boolean {
  return hand.length === 2 && ((hand[0] === 1 && hand[1] === 10) || (hand[0] === 10 && hand[1] === 1));
}

/** Constructor options (Gymnasium's kwargs). */
export interface BlackjackOptions {
  /** Pay 1.5 for winning with a natural (ignored when `sab`). Default false. */
  natural?: boolean;
  /** Sutton and Barto's rules: a natural wins (+1) unless the dealer also has one (0). Default false; Blackjack-v1 registers true. */
  sab?: boolean;
  /** Draws one card value (1-10); default a uniform pick from `DECK` with `this.rng`. Replaceable via `drawCard`. */
  drawCard?: () => number;
}

/** The exact state `reset({ options: { state } })` accepts. */
export interface BlackjackState {
  /** Player's cards (values 1-10), at least one. */
  player: number[];
  /** Dealer's cards (values 1-10), at least one; the first is the showing card. */
  dealer: number[];
}

const SUITS = ['C', 'D', 'H', 'S'] as const;
const SNAPSHOT = stateSchema({
  player: f.ints(1, 10),
  dealer: f.ints(1, 10),
  dealerTopCardSuit: f.oneOf(...SUITS),
  dealerTopCardFace: f.oneOf('A', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K'),
  rng: f.rng(),
});

/**
 * Blackjack: get a hand closer to 21 than the dealer's without going over.
 *
 * - Observation: Tuple(Discrete(32), Discrete(11), Discrete(2)) as `[playerSum, dealerCard, usableAce]`.
 * - Action: Discrete(2), 0 stick, 1 hit.
 * - Reward: +1 win, -1 loss (or bust), 0 draw; +1.5 for a winning natural with `natural` (and not `sab`);
 *   with `sab` a natural beats any dealer hand but a dealer natural (then 0).
 * - Start: two cards each from an infinite deck; the dealer shows the first. End: terminated when the player
 *   sticks or busts; Blackjack-v1 has no time limit. Info: `{}`.
 */
export class BlackjackEnv extends BaseEnv<BlackjackObs, number> {
  readonly observationSpace: Space<BlackjackObs>;
  readonly actionSpace: DiscreteSpace = discrete(2);
  readonly natural: boolean;
  readonly sab: boolean;
  /** Source of card values; replace it to deal a fixed sequence. */
  drawCard: () => number;
  /** The player's cards. */
  player: number[] = [];
  /** The dealer's cards; `dealer[0]` is face up. */
  dealer: number[] = [];
  /** Suit letter (C, D, H, S) of the dealer's face-up card, for the scene. */
  dealerTopCardSuit = 'S';
  /** Face of the dealer's face-up card for the scene: A, 2-9, or one of 10, J, Q, K for a ten-valued card. */
  dealerTopCardFace = 'A';

  constructor(options: BlackjackOptions = {}) {
    super();
    checkKwargKeys('Blackjack', options, ['natural', 'sab', 'drawCard']);
    this.natural = boolOption('Blackjack natural', options.natural, false);
    this.sab = boolOption('Blackjack sab', options.sab, false);
    if (options.drawCard !== undefined && typeof options.drawCard !== 'function') {
      throw new InvalidConfig(`Expected Blackjack drawCard to be a function () => card value, got ${describeValue(options.drawCard)}.`);
    }
    this.drawCard = options.drawCard ?? (() => DECK[this.rng.int(DECK.length)]!);
    this.observationSpace = tuple([discrete(32), discrete(11), discrete(2)] as const);
    this.metadata = { renderFps: 4 };
  }

  /** The observation of the current hands. */
  obs(): BlackjackObs {
    return [sumHand(this.player), this.dealer[0]!, usableAce(this.player) ? 1 : 0];
  }

  /** Deals two cards to the dealer then two to the player, or sets `options.state` ({ player, dealer }) exactly. */
  reset(args?: ResetArgs): ResetResult<BlackjackObs> {
    this.seedRng(args?.seed);
    const state = args?.options?.['state'];
    if (state !== undefined) {
      const s = checkState(state);
      this.player = [...s.player];
      this.dealer = [...s.dealer];
    } else {
      this.dealer = [this.drawCard(), this.drawCard()];
      this.player = [this.drawCard(), this.drawCard()];
    }
    // Render-only draws, after the hands, as in Gymnasium.
    this.dealerTopCardSuit = SUITS[this.rng.int(4)]!;
    const top = this.dealer[0]!;
    this.dealerTopCardFace = top === 1 ? 'A' : top === 10 ? (['J', 'Q', 'K'] as const)[this.rng.int(3)]! : String(top);
    return { obs: this.obs(), info: {} };
  }

  /** Hit (1): one more card, -1 and terminated on bust. Stick (0): the dealer draws to 17, then compare. */
  step(action: number): StepResult<BlackjackObs> {
    if (action !== 0 && action !== 1) throw new InvalidAction(`Expected a Blackjack action 0 (stick) or 1 (hit), got ${describeValue(action)}.`);
    let reward: number;
    let terminated: boolean;
    if (action === 1) {
      this.player.push(this.drawCard());
      terminated = isBust(this.player);
      reward = terminated ? -1 : 0;
    } else {
      terminated = true;
      while (sumHand(this.dealer) < 17) this.dealer.push(this.drawCard());
      const p = scoreHand(this.player);
      const d = scoreHand(this.dealer);
      reward = p > d ? 1 : p < d ? -1 : 0;
      if (this.sab && isNatural(this.player) && !isNatural(this.dealer)) {
        reward = 1; // Sutton and Barto: a natural wins outright.
      } else if (!this.sab && this.natural && isNatural(this.player) && reward === 1) {
        reward = 1.5; // Casino payout for a winning natural.
      }
    }
    return { obs: this.obs(), reward, terminated, truncated: false, info: {} };
  }

  /**
   * Everything to continue exactly (see `snapshotEnv`): both hands, the face-up card's drawing, and the rng (the
   * deck is infinite, so the rng is the whole deck). A replaced `drawCard` is the caller's to save.
   */
  getState(): JsonValue {
    return this.withRngState({
      player: [...this.player],
      dealer: [...this.dealer],
      dealerTopCardSuit: this.dealerTopCardSuit,
      dealerTopCardFace: this.dealerTopCardFace,
    });
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, String(this));
    this.player = s.player;
    this.dealer = s.dealer;
    this.dealerTopCardSuit = s.dealerTopCardSuit;
    this.dealerTopCardFace = s.dealerTopCardFace;
    this.restoreRngState(s.rng);
  }

  /**
   * What Gymnasium's human render shows on its green table: "Dealer: N" with the face-up card and a face-down
   * card, "Player" with the player's sum in large type, and "usable ace" when there is one. Units: pixels, y up.
   */
  scene(): Scene {
    const W = 600;
    const H = 500;
    const cardH = Math.floor(H / 3);
    const cardW = Math.floor((cardH * 142) / 197);
    const spacing = Math.floor(H / 20);
    const [playerSum, dealerCard, ace] = this.player.length > 0 && this.dealer.length > 0 ? this.obs() : [0, 0, 0];
    const shapes: Shape[] = [];
    const top = H - spacing;
    shapes.push({ type: 'text', x: spacing, y: top - 12, text: `Dealer: ${dealerCard}`, size: 33, color: '#ffffff', align: 'left' });
    const cardY = top - 33 - spacing - cardH / 2;
    const faceX = W / 2 - spacing / 2 - cardW / 2;
    const backX = W / 2 + spacing / 2 + cardW / 2;
    const red = this.dealerTopCardSuit === 'D' || this.dealerTopCardSuit === 'H';
    shapes.push({ type: 'rect', x: faceX, y: cardY, width: cardW, height: cardH, fill: '#ffffff', stroke: '#000000', lineWidth: 2 });
    shapes.push({ type: 'text', x: faceX, y: cardY, text: this.dealerTopCardFace, size: 40, color: red ? '#c62828' : '#000000', align: 'center' });
    shapes.push({ type: 'text', x: faceX - cardW / 2 + 14, y: cardY + cardH / 2 - 16, text: this.dealerTopCardSuit, size: 16, color: red ? '#c62828' : '#000000', align: 'center' });
    shapes.push({ type: 'rect', x: backX, y: cardY, width: cardW, height: cardH, fill: '#1e3a8a', stroke: '#ffffff', lineWidth: 2 });
    shapes.push({ type: 'rect', x: backX, y: cardY, width: cardW - 16, height: cardH - 16, stroke: '#93c5fd', lineWidth: 2 });
    const playerY = cardY - cardH / 2 - 1.5 * spacing - 16;
    shapes.push({ type: 'text', x: spacing, y: playerY, text: 'Player', size: 33, color: '#ffffff', align: 'left' });
    const sumY = playerY - 16 - spacing - 40;
    shapes.push({ type: 'text', x: W / 2, y: sumY, text: String(playerSum), size: 83, color: '#ffffff', align: 'center' });
    if (ace) shapes.push({ type: 'text', x: W / 2, y: sumY - 40 - spacing / 2 - 16, text: 'usable ace', size: 33, color: '#ffffff', align: 'center' });
    return { width: W, height: H, viewport: { xMin: 0, xMax: W, yMin: 0, yMax: H }, background: '#076324', shapes };
  }
}

function checkState(state: unknown): BlackjackState {
  const hand = (h: unknown): h is number[] =>
    Array.isArray(h) && h.length > 0 && h.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 1 && c <= 10);
  const s = state as Partial<BlackjackState> | null;
  if (s === null || typeof s !== 'object' || !hand(s.player) || !hand(s.dealer)) {
    throw new InvalidConfig(
      `Expected reset option state to be { player, dealer }, each a non-empty array of card values 1-10, got ${describeValue(state)}.`,
    );
  }
  return s as BlackjackState;
}
