/*
 * PushT physics oracle: the scene of diffusion_policy's pusht_env.py built on the system's
 * Chipmunk 7.0.3 (Debian libchipmunk-dev), driven by text commands on stdin. Used by the
 * @mipjs/envs physics tests to check the TypeScript port sub-step by sub-step.
 *
 * Build: gcc -O2 -o pusht_oracle pusht_oracle.c -lchipmunk -lm
 *
 * Commands (one per line, numbers as text; every output number is printed with %.17g):
 *   a x y vx vy        set the agent's position and velocity
 *   b x y angle order  set the block pose like pymunk: order 0 = position then angle (legacy),
 *                      1 = angle then position
 *   v vx vy w          set the block's velocity and angular velocity
 *   s dt               one cpSpaceStep(dt); prints the state line
 *   c ax ay            one control step: 10 x (PD rule, cpSpaceStep(0.01)); prints the state line
 *   p                  prints the state line
 *   r                  rebuild the space (forgets contacts and cached impulses)
 *   d                  toggle debug: after each step, print "# arb ..." lines for the solver's arbiters
 *   q                  quit
 * State line: agent x y vx vy, block x y angle vx vy w, contact points counted in post-solve.
 *
 * Bench mode (`pusht_oracle bench`): stdin holds "E" then per episode "T s0 s1 s2 s3 s4" and
 * T action pairs; each episode is replayed open loop from its first state (angle, then
 * position); prints one "bx by angle" line per action and the wall time on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <chipmunk/chipmunk_private.h>

static cpSpace *space;
static cpBody *agent, *block;
static cpShape *shapes[8];
static int nContacts;
static int debug;

static void postSolve(cpArbiter *arb, cpSpace *s, cpDataPointer data) {
  (void)s;
  (void)data;
  nContacts += cpArbiterGetCount(arb);
}

static int shapeIndex(const cpShape *s) {
  for (int i = 0; i < 8; i++)
    if (shapes[i] == s) return i;
  return -1;
}

static void build(void) {
  if (space) {
    for (int i = 0; i < 7; i++) {
      cpSpaceRemoveShape(space, shapes[i]);
      cpShapeFree(shapes[i]);
    }
    cpSpaceRemoveBody(space, agent);
    cpSpaceRemoveBody(space, block);
    cpBodyFree(agent);
    cpBodyFree(block);
    cpSpaceFree(space);
  }
  space = cpSpaceNew();
  cpSpaceSetGravity(space, cpvzero);
  cpSpaceSetDamping(space, 0.0);
  cpBody *st = cpSpaceGetStaticBody(space);
  cpVect wa[4] = {{5, 506}, {5, 5}, {506, 5}, {5, 506}};
  cpVect wb[4] = {{5, 5}, {506, 5}, {506, 506}, {506, 506}};
  for (int i = 0; i < 4; i++) shapes[i] = cpSegmentShapeNew(st, wa[i], wb[i], 2.0);
  for (int i = 0; i < 4; i++) cpSpaceAddShape(space, shapes[i]);

  agent = cpBodyNewKinematic();
  cpBodySetPosition(agent, cpv(256, 400));
  shapes[4] = cpCircleShapeNew(agent, 15.0, cpvzero);
  cpSpaceAddBody(space, agent);
  cpSpaceAddShape(space, shapes[4]);

  cpVect v1[4] = {{-60, 30}, {60, 30}, {60, 0}, {-60, 0}};
  cpVect v2[4] = {{-15, 30}, {-15, 120}, {15, 120}, {15, 30}};
  cpFloat i1 = cpMomentForPoly(1.0, 4, v1, cpvzero, 0.0);
  cpFloat i2 = cpMomentForPoly(1.0, 4, v1, cpvzero, 0.0);
  block = cpBodyNew(1.0, i1 + i2);
  shapes[5] = cpPolyShapeNew(block, 4, v1, cpTransformIdentity, 0.0);
  shapes[6] = cpPolyShapeNew(block, 4, v2, cpTransformIdentity, 0.0);
  cpVect c1 = cpShapeGetCenterOfGravity(shapes[5]);
  cpVect c2 = cpShapeGetCenterOfGravity(shapes[6]);
  cpBodySetCenterOfGravity(block, cpv((c1.x + c2.x) / 2.0, (c1.y + c2.y) / 2.0));
  cpBodySetPosition(block, cpv(256, 300));
  cpBodySetAngle(block, 0.0);
  cpSpaceAddBody(space, block);
  cpSpaceAddShape(space, shapes[5]);
  cpSpaceAddShape(space, shapes[6]);
  shapes[7] = NULL;

  cpCollisionHandler *h = cpSpaceAddCollisionHandler(space, 0, 0);
  h->postSolveFunc = postSolve;
}

static void printState(void) {
  cpVect ap = cpBodyGetPosition(agent), av = cpBodyGetVelocity(agent);
  cpVect bp = cpBodyGetPosition(block), bv = cpBodyGetVelocity(block);
  printf("%.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %d\n", ap.x, ap.y, av.x,
         av.y, bp.x, bp.y, cpBodyGetAngle(block), bv.x, bv.y, cpBodyGetAngularVelocity(block),
         nContacts);
}

static void step(cpFloat dt) {
  cpSpaceStep(space, dt);
  if (debug) {
    cpArray *arbs = space->arbiters;
    for (int i = 0; i < arbs->num; i++) {
      cpArbiter *arb = (cpArbiter *)arbs->arr[i];
      printf("# arb %d %d %d n %.17g %.17g", shapeIndex(arb->a), shapeIndex(arb->b), arb->count,
             arb->n.x, arb->n.y);
      for (int k = 0; k < arb->count; k++)
        printf(" | %.17g %.17g %.17g %.17g %.17g", arb->contacts[k].r1.x, arb->contacts[k].r1.y,
               arb->contacts[k].r2.x, arb->contacts[k].r2.y, arb->contacts[k].jnAcc);
      printf("\n");
    }
  }
}

static void controlStep(cpFloat ax, cpFloat ay) {
  for (int i = 0; i < 10; i++) {
    cpVect p = cpBodyGetPosition(agent), v = cpBodyGetVelocity(agent);
    cpFloat accx = 100.0 * (ax - p.x) + 20.0 * (0.0 - v.x);
    cpFloat accy = 100.0 * (ay - p.y) + 20.0 * (0.0 - v.y);
    cpBodySetVelocity(agent, cpv(v.x + accx * 0.01, v.y + accy * 0.01));
    step(0.01);
  }
}

static void setBlock(cpFloat x, cpFloat y, cpFloat a, int order) {
  if (order == 0) {
    cpBodySetPosition(block, cpv(x, y));
    cpBodySetAngle(block, a);
  } else {
    cpBodySetAngle(block, a);
    cpBodySetPosition(block, cpv(x, y));
  }
}

static int bench(void) {
  int E;
  if (scanf("%d", &E) != 1) return 1;
  int cap = 1 << 16, total = 0;
  double *s0 = malloc(sizeof(double) * 5 * E), *act = malloc(sizeof(double) * 2 * cap);
  int *len = malloc(sizeof(int) * E);
  for (int e = 0; e < E; e++) {
    if (scanf("%d %lf %lf %lf %lf %lf", &len[e], &s0[5 * e], &s0[5 * e + 1], &s0[5 * e + 2],
              &s0[5 * e + 3], &s0[5 * e + 4]) != 6)
      return 1;
    for (int t = 0; t < len[e]; t++, total++)
      if (scanf("%lf %lf", &act[2 * total], &act[2 * total + 1]) != 2) return 1;
  }
  double *out = malloc(sizeof(double) * 3 * total);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int k = 0;
  for (int e = 0; e < E; e++) {
    build();
    cpBodySetPosition(agent, cpv(s0[5 * e], s0[5 * e + 1]));
    cpBodySetVelocity(agent, cpvzero);
    setBlock(s0[5 * e + 2], s0[5 * e + 3], s0[5 * e + 4], 1);
    for (int t = 0; t < len[e]; t++, k++) {
      controlStep(act[2 * k], act[2 * k + 1]);
      cpVect bp = cpBodyGetPosition(block);
      out[3 * k] = bp.x;
      out[3 * k + 1] = bp.y;
      out[3 * k + 2] = cpBodyGetAngle(block);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (int i = 0; i < total; i++) printf("%.17g %.17g %.17g\n", out[3 * i], out[3 * i + 1], out[3 * i + 2]);
  fprintf(stderr, "steps %d seconds %.6f\n", total,
          (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec));
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "bench") == 0) return bench();
  build();
  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    double x, y, z, w;
    int o;
    switch (line[0]) {
    case 'a':
      if (sscanf(line + 1, "%lf %lf %lf %lf", &x, &y, &z, &w) == 4) {
        cpBodySetPosition(agent, cpv(x, y));
        cpBodySetVelocity(agent, cpv(z, w));
      }
      break;
    case 'b':
      if (sscanf(line + 1, "%lf %lf %lf %d", &x, &y, &z, &o) == 4) setBlock(x, y, z, o);
      break;
    case 'v':
      if (sscanf(line + 1, "%lf %lf %lf", &x, &y, &z) == 3) {
        cpBodySetVelocity(block, cpv(x, y));
        cpBodySetAngularVelocity(block, z);
      }
      break;
    case 's':
      if (sscanf(line + 1, "%lf", &x) == 1) {
        nContacts = 0;
        step(x);
        printState();
      }
      break;
    case 'c':
      if (sscanf(line + 1, "%lf %lf", &x, &y) == 2) {
        nContacts = 0;
        controlStep(x, y);
        printState();
      }
      break;
    case 'p': printState(); break;
    case 'r': build(); break;
    case 'd': debug = !debug; break;
    case 'q': return 0;
    default: break;
    }
    fflush(stdout);
  }
  return 0;
}
