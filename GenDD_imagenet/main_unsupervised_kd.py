"""Label-free KD on CC3M: loss KL(softmax(t) ‖ softmax(s)) at T = 1, no labels; evaluated on
ImageNet val with the student's own classifier. SGD lr 0.2, wd 1e-4, 100 epochs x 5500
iterations, warm-up 10, cosine (docs/method.md §4).

The student's final layer stays frozen at its random initialisation by default, as in the
reference (the features learn to fit the teacher's logits through it); ``--train_fc`` trains it.
"""
from gendd.cli import main_guard
from gendd.distillers import build as build_distiller
from gendd.distillers.shared_flags import TEMPERATURE
from gendd.validation import checked
from gendd_imagenet.data_args import base_parser
from gendd_imagenet.logit_script import add_sgd_args, run_logits
from gendd_imagenet.run_dirs import run_dir_of
from gendd_imagenet.teacher_args import add_teacher_args


def parse():
    p = base_parser(__doc__, "cc3m")
    add_teacher_args(p)
    p.add_argument("--model_s", default="MobileNetV1")
    checked(p.add_argument("--kd_T", type=float, default=1.0, help="KD temperature"), TEMPERATURE.check)
    p.add_argument("--train_fc", action="store_true", help="also train the student's final layer (default: frozen)")
    add_sgd_args(p, lr=0.2, weight_decay=1e-4)
    p.set_defaults(lr_schedule="cosine", warmup_epochs=10)
    return p.parse_args()


def main():
    args = parse()
    row = {"method": "KD (unsupervised" + (", fc trained)" if args.train_fc else ")"), "teacher": args.arch_t}

    def distiller(student, teacher):
        return build_distiller("kd", student, teacher, ce_weight=0.0, kd_weight=1.0, temperature=args.kd_T,
                               train_fc=args.train_fc)

    run_logits(args, run_dir_of(args, "unsupervised_kd" + ("_fc" if args.train_fc else "")), row, distiller)


if __name__ == "__main__":
    main_guard(main)
