"""The headline figures the project reports, in the order the docs show
them: (record name, title, the command that writes it). ``stdpnet results
--write-docs`` lists a headline without a file in ``results/`` as not
measured; a command that records a figure takes its title from here.
"""

HEADLINES = (
    ("mnist_quick", "MNIST, 100 neurons, 6,000 training digits (the main job)",
     "stdpnet sweep networks/mnist_quick.toml --seeds 0-2 --test --record mnist_quick"),
    ("mnist_400", "MNIST, 400 neurons, one epoch (the Diehl & Cook network; their reference code trains three)",
     "stdpnet sweep networks/mnist_400.toml --seeds 0-4 --test --record mnist_400"),
    ("mnist_400_xtar", "MNIST, 400 neurons, one epoch: validation accuracy with the power-law target x_tar "
     "at the spec's 0.05 and the package default 0.1",
     "stdpnet sweep networks/mnist_400.toml --set plasticity.x_tar=0.05,0.1 --seeds 0-2 --record mnist_400_xtar "
     "--out runs/select_xtar_mnist_400"),
    ("mnist_1600", "MNIST, 1,600 neurons, one epoch",
     "stdpnet sweep networks/mnist_1600.toml --seeds 0-2 --test --record mnist_1600"),
    ("mnist_1600_prune", "MNIST, 1,600 neurons, pruned and quantised",
     "stdpnet sweep networks/mnist_1600_prune.toml --seeds 0-2 --test --record mnist_1600_prune"),
    ("mnist_6400", "MNIST, 6,400 neurons, three epochs: seeds 0 and 1 (two of the three seeds of "
     "mnist_6400_3_seeds, not a headline alone)",
     "stdpnet sweep networks/mnist_6400.toml --seeds 0-1 --test --record mnist_6400"),
    ("mnist_6400_seed2", "MNIST, 6,400 neurons, three epochs: the third seed of mnist_6400_3_seeds "
     "(not a headline alone)",
     "stdpnet sweep networks/mnist_6400.toml --seeds 2 --workers 1 --test --out runs/measure_mnist_6400_seed2 "
     "--record mnist_6400_seed2"),
    ("mnist_6400_3_seeds", "MNIST, 6,400 neurons, three epochs, seeds 0-2 (the paper's headline network; "
     "mnist_6400 and mnist_6400_seed2 pooled)",
     "stdpnet pool-seeds mnist_6400 mnist_6400_seed2 --record mnist_6400_3_seeds"),
    ("mnist_6400_eta", "MNIST, 6,400 neurons: validation accuracy after one epoch against the "
     "learning rate eta_post (seed 0)",
     "stdpnet sweep networks/mnist_6400.toml --set plasticity.eta_post=0.001,0.01 --set data.epochs=1 "
     "--seeds 0 --record mnist_6400_eta --out runs/select_eta_mnist_6400"),
    ("mnist_6400_labelling", "MNIST, 6,400 neurons: validation accuracy against the number of "
     "labelling digits",
     "python benchmarks/labelling_size.py runs/measure_mnist_6400/tasks/* --sizes 1000 2500 5000 10000 "
     "--record mnist_6400_labelling"),
    ("mnist_6400_labelling_seed2", "MNIST, 6,400 neurons: validation accuracy against the number of "
     "labelling digits, a third seed",
     "python benchmarks/labelling_size.py runs/measure_mnist_6400_seed2/tasks/* --sizes 1000 2500 5000 10000 "
     "--record mnist_6400_labelling_seed2"),
    ("mnist_6400_labelling_3_seeds", "MNIST, 6,400 neurons: validation accuracy against the number of "
     "labelling digits, seeds 0-2 (mnist_6400_labelling and mnist_6400_labelling_seed2)",
     "stdpnet pool-seeds mnist_6400_labelling mnist_6400_labelling_seed2 --record mnist_6400_labelling_3_seeds"),
    ("mnist_6400_xtar", "MNIST, 6,400 neurons: validation accuracy after one epoch against the "
     "power-law target x_tar (seed 0)",
     "stdpnet sweep networks/mnist_6400.toml --set plasticity.x_tar=0.05,0.2 --set data.epochs=1 "
     "--seeds 0 --record mnist_6400_xtar --out runs/select_xtar_mnist_6400"),
    ("mnist_6400_xtar_edge", "MNIST, 6,400 neurons: validation accuracy after one epoch against the "
     "power-law target x_tar, beyond the edge of the first grid (seed 0)",
     "stdpnet sweep networks/mnist_6400.toml --set plasticity.x_tar=0.3,0.4 --set data.epochs=1 "
     "--seeds 0 --record mnist_6400_xtar_edge --out runs/select_xtar_edge_mnist_6400"),
    ("mnist_6400_xtar_seeds", "MNIST, 6,400 neurons, one epoch, x_tar 0.2 (the best of the one-seed grid): "
     "validation accuracy, seeds 0-2",
     "stdpnet sweep networks/mnist_6400.toml --set plasticity.x_tar=0.2 --set data.epochs=1 --seeds 0-2 "
     "--record mnist_6400_xtar_seeds --out runs/select_xtar_mnist_6400"),
    ("mnist_6400_xtar_test", "MNIST, 6,400 neurons, one epoch, x_tar 0.2 (chosen on validation): test accuracy",
     "stdpnet sweep networks/mnist_6400.toml --set plasticity.x_tar=0.2 --set data.epochs=1 --seeds 0-2 "
     "--test --record mnist_6400_xtar_test --out runs/select_xtar_mnist_6400"),
    ("fashion_400_select", "Fashion-MNIST, 400 neurons, one epoch: validation accuracy against the "
     "power-law target x_tar and the input intensity",
     "stdpnet sweep networks/fashion_400.toml --set plasticity.x_tar=0.05,0.1,0.2 --set input.intensity=1,2 "
     "--seeds 0-2 --record fashion_400_select --out runs/select_fashion_400"),
    ("fashion_400_select_edge", "Fashion-MNIST, 400 neurons, one epoch: validation accuracy beyond the "
     "edge of the first grid (higher x_tar, lower input intensity)",
     "stdpnet sweep networks/fashion_400.toml --set plasticity.x_tar=0.2,0.3,0.4 --set input.intensity=0.5,1 "
     "--seeds 0-2 --record fashion_400_select_edge --out runs/select_fashion_400"),
    ("fashion_400", "Fashion-MNIST, 400 neurons, one epoch, x_tar 0.2 and input intensity 1 (chosen on "
     "validation)",
     "stdpnet sweep networks/fashion_400.toml --set plasticity.x_tar=0.2 --set input.intensity=1 --seeds 0-2 "
     "--test --record fashion_400 --out runs/select_fashion_400"),
    ("fashion_1600", "Fashion-MNIST, 1,600 neurons, one epoch, with the setting chosen on validation for "
     "400 neurons (x_tar 0.2, input intensity 1)",
     "stdpnet sweep networks/fashion_400.toml --set excitatory.n_neurons=1600 --set plasticity.x_tar=0.2 "
     "--set input.intensity=1 --seeds 0-2 --test --record fashion_1600 --out runs/measure_fashion_1600"),
    ("fashion_400_likelihood", "Fashion-MNIST, 400 neurons (the chosen setting): the likelihood readout "
     "given each example's spike total, how far the classes' spike totals differ, how many neurons "
     "fire, which class labels them and which class mean their fields are nearest, on validation",
     "python benchmarks/likelihood_readout.py runs/select_fashion_400 --spec networks/fashion_400.toml "
     "--record fashion_400_likelihood"),
    ("fashion_1600_likelihood", "Fashion-MNIST, 1,600 neurons: the likelihood readout given each example's "
     "spike total, how far the classes' spike totals differ, how many neurons fire, which class "
     "labels them and which class mean their fields are nearest, on validation",
     "python benchmarks/likelihood_readout.py runs/measure_fashion_1600 --spec networks/fashion_400.toml "
     "--record fashion_1600_likelihood"),
    ("fashion_1600_inhibition", "Fashion-MNIST, 1,600 neurons (as fashion_1600): validation accuracy with "
     "two and four times the lateral inhibition (inh_to_exc 34 and 68; the spec's is 17)",
     "stdpnet sweep networks/fashion_400.toml --set excitatory.n_neurons=1600 --set plasticity.x_tar=0.2 "
     "--set input.intensity=1 --set connections.inh_to_exc=34,68 --seeds 0-2 --record fashion_1600_inhibition "
     "--out runs/measure_fashion_1600_inhibition"),
    ("fashion_1600_inhibition_likelihood", "Fashion-MNIST, 1,600 neurons, two and four times the lateral "
     "inhibition: how many neurons fire, which class labels them and which class mean their fields are "
     "nearest, and the likelihood readouts, on validation",
     "python benchmarks/likelihood_readout.py runs/measure_fashion_1600_inhibition --spec networks/fashion_400.toml "
     "--record fashion_1600_inhibition_likelihood"),
    ("fashion_1600_progress", "Fashion-MNIST, 1,600 neurons (as fashion_1600) trained on the first 10,000, "
     "20,000 and 35,000 of its 50,000 images: validation accuracy",
     "stdpnet sweep networks/fashion_400.toml --set excitatory.n_neurons=1600 --set plasticity.x_tar=0.2 "
     "--set input.intensity=1 --set data.train_examples=10000,20000,35000 --seeds 0-2 "
     "--record fashion_1600_progress --out runs/measure_fashion_1600_progress"),
    ("fashion_1600_progress_likelihood", "Fashion-MNIST, 1,600 neurons, after 10,000, 20,000 and 35,000 "
     "training images: how many neurons fire, which class labels them and which class mean their fields "
     "are nearest, and the likelihood readouts, on validation",
     "python benchmarks/likelihood_readout.py runs/measure_fashion_1600_progress --spec networks/fashion_400.toml "
     "--record fashion_1600_progress_likelihood"),
    ("fashion_400_progress", "Fashion-MNIST, 400 neurons (as fashion_400) trained on the first 10,000, "
     "20,000 and 35,000 of its 50,000 images: validation accuracy",
     "stdpnet sweep networks/fashion_400.toml --set plasticity.x_tar=0.2 --set input.intensity=1 "
     "--set data.train_examples=10000,20000,35000 --seeds 0-2 --record fashion_400_progress "
     "--out runs/measure_fashion_400_progress"),
    ("fashion_400_progress_likelihood", "Fashion-MNIST, 400 neurons, after 10,000, 20,000 and 35,000 "
     "training images: how many neurons fire, which class labels them and which class mean their fields "
     "are nearest, and the likelihood readouts, on validation",
     "python benchmarks/likelihood_readout.py runs/measure_fashion_400_progress --spec networks/fashion_400.toml "
     "--record fashion_400_progress_likelihood"),
    ("fashion_equal_totals", "Fashion-MNIST, 400 and 1,600 neurons (as fashion_400 and fashion_1600) with "
     "every image scaled to the training images' mean total (data.equal_totals): validation accuracy",
     "stdpnet sweep networks/fashion_400.toml --set excitatory.n_neurons=400,1600 --set plasticity.x_tar=0.2 "
     "--set input.intensity=1 --set data.equal_totals=true --seeds 0-2 --record fashion_equal_totals "
     "--out runs/measure_fashion_equal_totals"),
    ("fashion_equal_totals_likelihood", "Fashion-MNIST, 400 and 1,600 neurons, every image scaled to the "
     "same total: how many neurons fire, which class labels them and which class mean their fields are "
     "nearest, and the likelihood readouts, on validation",
     "python benchmarks/likelihood_readout.py runs/measure_fashion_equal_totals --spec networks/fashion_400.toml "
     "--record fashion_equal_totals_likelihood"),
    ("mnist_400_equal_totals", "MNIST, 400 neurons (as mnist_400) with every digit scaled to the training "
     "digits' mean total (data.equal_totals): validation accuracy",
     "stdpnet sweep networks/mnist_400.toml --set data.equal_totals=true --seeds 0-2 "
     "--record mnist_400_equal_totals --out runs/measure_mnist_400_equal_totals"),
    ("mnist_400_theta_rest_decay", "MNIST, 400 neurons (as mnist_400): validation accuracy with the adaptive "
     "threshold decaying over the presentation only (the reset's default) or also over the 150 ms rest it "
     "skips (schedule.theta_rest_decay)",
     "stdpnet sweep networks/mnist_400.toml --set schedule.theta_rest_decay=false,true --seeds 0-2 "
     "--record mnist_400_theta_rest_decay --out runs/select_theta_rest_decay_mnist_400"),
    ("mnist_400_simulated_rest", "MNIST, 400 neurons (as mnist_400) with the 150 ms rest simulated "
     "(schedule.rest_mode = simulate): validation accuracy",
     "stdpnet sweep networks/mnist_400.toml --set schedule.rest_mode=simulate --seeds 0-2 "
     "--record mnist_400_simulated_rest --out runs/measure_mnist_400_simulated_rest"),
    ("mnist_quick_conductance_read", "MNIST, 100 neurons (as mnist_quick): validation accuracy with the "
     "membrane step reading each conductance where the step starts (the default: 1.27x the model's charge "
     "per excitatory event) or its mean over the step (the model's charge; schedule.v_reads_conductance)",
     "stdpnet sweep networks/mnist_quick.toml --set schedule.v_reads_conductance=step_start,step_mean "
     "--seeds 0-2 --record mnist_quick_conductance_read --out runs/measure_mnist_quick_conductance_read"),
    ("mnist_400_conductance_read", "MNIST, 400 neurons (as mnist_400) with the membrane step reading each "
     "conductance's mean over the step (schedule.v_reads_conductance = step_mean): validation accuracy",
     "stdpnet sweep networks/mnist_400.toml --set schedule.v_reads_conductance=step_mean --seeds 0-2 "
     "--record mnist_400_conductance_read --out runs/measure_mnist_400_conductance_read"),
    ("mnist_1600_equal_totals", "MNIST, 1,600 neurons (as mnist_1600) with every digit scaled to the "
     "training digits' mean total (data.equal_totals): validation accuracy",
     "stdpnet sweep networks/mnist_1600.toml --set data.equal_totals=true --seeds 0-2 "
     "--record mnist_1600_equal_totals --out runs/measure_mnist_1600_equal_totals"),
    ("mnist_1600_equal_totals_likelihood", "MNIST, 1,600 neurons, every digit scaled to the same total: how "
     "many neurons fire, which class labels them and which class mean their fields are nearest, and the "
     "likelihood readouts, on validation",
     "python benchmarks/likelihood_readout.py runs/measure_mnist_1600_equal_totals --spec networks/mnist_1600.toml "
     "--record mnist_1600_equal_totals_likelihood"),
    ("mnist_1600_likelihood", "MNIST, 1,600 neurons: the likelihood readout given each example's spike "
     "total, how far the classes' spike totals differ, how many neurons fire, which class labels "
     "them and which class mean their fields are nearest, on validation (runs of `stdpnet sweep "
     "networks/mnist_1600.toml --seeds 0-2 --out runs/measure_mnist_1600_validation`)",
     "python benchmarks/likelihood_readout.py runs/measure_mnist_1600_validation --spec networks/mnist_1600.toml "
     "--record mnist_1600_likelihood"),
    ("mnist_400_equal_totals_drive", "MNIST, 400 neurons, every digit scaled to the same total: "
     "each class's matched drive (the data alone) against its share of the neurons' labels, "
     "on validation",
     "python benchmarks/matched_drive.py runs/measure_mnist_400_equal_totals --spec networks/mnist_400.toml "
     "--record mnist_400_equal_totals_drive"),
    ("mnist_1600_drive", "MNIST, 1,600 neurons: "
     "each class's matched drive (the data alone) against its share of the neurons' labels, "
     "on validation",
     "python benchmarks/matched_drive.py runs/measure_mnist_1600_validation --spec networks/mnist_1600.toml "
     "--record mnist_1600_drive"),
    ("mnist_1600_equal_totals_drive", "MNIST, 1,600 neurons, every digit scaled to the same total: "
     "each class's matched drive (the data alone) against its share of the neurons' labels, "
     "on validation",
     "python benchmarks/matched_drive.py runs/measure_mnist_1600_equal_totals --spec networks/mnist_1600.toml "
     "--record mnist_1600_equal_totals_drive"),
    ("fashion_400_drive", "Fashion-MNIST, 400 neurons (the chosen setting): "
     "each class's matched drive (the data alone) against its share of the neurons' labels, "
     "on validation",
     "python benchmarks/matched_drive.py runs/select_fashion_400 --spec networks/fashion_400.toml "
     "--record fashion_400_drive"),
    ("fashion_1600_drive", "Fashion-MNIST, 1,600 neurons: "
     "each class's matched drive (the data alone) against its share of the neurons' labels, "
     "on validation",
     "python benchmarks/matched_drive.py runs/measure_fashion_1600 --spec networks/fashion_400.toml "
     "--record fashion_1600_drive"),
    ("fashion_equal_totals_drive", "Fashion-MNIST, 400 and 1,600 neurons, every image scaled to the same total: "
     "each class's matched drive (the data alone) against its share of the neurons' labels, "
     "on validation",
     "python benchmarks/matched_drive.py runs/measure_fashion_equal_totals --spec networks/fashion_400.toml "
     "--record fashion_equal_totals_drive --plot docs/images/fashion_equal_totals_drive.png"),
    ("caltech_preprocessing", "Caltech-101, three classes: the image preprocessing judged by simple "
     "readouts on validation images (a proxy, not the network)",
     "python benchmarks/caltech_preprocessing.py --spec networks/caltech_3class.toml --seeds 0-2 "
     "--record caltech_preprocessing"),
    ("audio_features", "Spoken digits (FSDD): the audio features judged by simple readouts on validation "
     "recordings (a proxy, not the network)",
     "python benchmarks/audio_features.py --seeds 0-2 --record audio_features"),
    ("caltech_3class", "Caltech-101, three classes, dense",
     "stdpnet sweep networks/caltech_3class.toml --seeds 0-2 --test --record caltech_3class"),
    ("caltech_3class_prune", "Caltech-101, three classes, pruned",
     "stdpnet sweep networks/caltech_3class_prune.toml --seeds 0-2 --test --record caltech_3class_prune"),
    ("fsdd_audio_400", "Spoken digits (FSDD), 400 neurons, standard split",
     "stdpnet sweep networks/fsdd_audio_400.toml --seeds 0-2 --test --record fsdd_audio_400"),
    ("audiovisual", "Audio-visual network (MNIST 400 + FSDD 400), clean and at the strongest level of "
     "each noise",
     "stdpnet sweep networks/audiovisual.toml --seeds 0-2 --test --noise image:gaussian=1 "
     "--noise image:salt_pepper=0.5 --noise image:occlusion=0.5 --noise audio:white=-10 "
     "--noise audio:babble=-10 --record audiovisual"),
    ("audiovisual_schedule", "Audio-visual network: the staged and the joint schedule on the "
     "validation pairs",
     "stdpnet sweep networks/audiovisual.toml --set cross.schedule=staged,joint --seeds 0-2 --workers 2 "
     "--out runs/select_av_schedule --record audiovisual_schedule"),
    ("audiovisual_recall", "Audio-visual network: cross-modal recall at the recall gain chosen on "
     "validation",
     "python benchmarks/recall_gain.py runs/measure_audiovisual/tasks/* --gains G --split test "
     "--out runs/measure_recall_gain --record audiovisual_recall"),
    ("audiovisual_speakers", "Audio-visual network, test recordings from a speaker held out of all "
     "training",
     "stdpnet sweep networks/audiovisual_speakers.toml --seeds 0-2 --test --record audiovisual_speakers"),
    ("audiovisual_speakers_standardise", "Audio-visual network, test recordings from a speaker held out "
     "of all training; the audio ensemble chosen for unheard voices (per-speaker standardisation)",
     "stdpnet sweep networks/audiovisual_speakers_standardise.toml --seeds 0-2 --test "
     "--record audiovisual_speakers_standardise"),
    ("audiovisual_speakers_standardise_loso", "Audio-visual network, every speaker held out of all "
     "training in turn (leave one speaker out); the audio ensemble chosen for unheard voices",
     "stdpnet sweep networks/audiovisual_speakers_standardise.toml --folds speaker --seeds 0-2 --test "
     "--record audiovisual_speakers_standardise_loso"),
    ("seq_mnist_rows", "Sequential MNIST, row by row: LITE-SNN against baselines of its size",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_rows.toml --models lite,srnn,lstm,gru,tcn "
     "--seeds 0-2 --out runs/seq-mnist-rows --record seq_mnist_rows --threads 1"),
    ("seq_fsdd", "Spoken digits as frame sequences, held-out speaker: LITE-SNN against baselines",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite,srnn,lstm,gru,tcn "
     "--seeds 0-2 --out runs/seq-fsdd --record seq_fsdd --threads 1"),
    ("seq_event_mnist", "Event streams (synthetic event MNIST): LITE-SNN against baselines",
     "stdpnet deep seq-repeat networks/deep_seq_event_mnist.toml --models lite,srnn,lstm,gru,tcn "
     "--seeds 0-2 --out runs/seq-event-mnist --record seq_event_mnist --threads 1"),
    ("seq_length", "Accuracy against sequence length: spiking RNN and LITE-SNN, MNIST in 28 to 392 steps",
     "stdpnet deep seq-repeat networks/deep_seq_length.toml --models srnn,lite --seeds 0-2 "
     "--set data.pixel_steps=28,112,392 --out runs/seq-length --record seq_length --threads 1"),
    ("seq_length_20_epochs", "Accuracy against sequence length, 20 epochs: spiking RNN and LITE-SNN, "
     "MNIST in 28 to 392 steps",
     "stdpnet deep seq-repeat networks/deep_seq_length.toml --models srnn,lite --seeds 0-2 "
     "--set data.pixel_steps=28,112,392 --epochs 20 --out runs/seq-length-20 --record seq_length_20_epochs "
     "--threads 1"),
    ("seq_mnist_rows_positions", "Sequential MNIST, row by row: LITE-SNN with the position code in its "
     "attention, on validation",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_rows.toml --models lite --set model.positions=sinusoidal "
     "--seeds 0-2 --validation-only --out runs/select_seq_rows_positions --record seq_mnist_rows_positions "
     "--threads 1"),
    ("seq_event_mnist_dropout", "Event streams (synthetic event MNIST): dropout before the readout, "
     "LITE-SNN and the LSTM, on validation",
     "stdpnet deep seq-repeat networks/deep_seq_event_mnist.toml --models lite,lstm "
     "--set model.dropout=0,0.25 --seeds 0-2 --validation-only --out runs/select_seq_event_dropout "
     "--record seq_event_mnist_dropout --threads 1"),
    ("seq_event_mnist_substeps_selection", "Event streams (synthetic event MNIST): LITE-SNN's "
     "neurons taking 2 steps per time bin (spike counts), on validation",
     "stdpnet deep seq-repeat networks/deep_seq_event_mnist.toml --models lite --seeds 0-2 "
     "--set model.substeps=2 --validation-only --out runs/select_seq_event_substeps "
     "--record seq_event_mnist_substeps_selection --threads 1"),
    ("seq_event_mnist_substeps", "Event streams (synthetic event MNIST): LITE-SNN with 2 neuron "
     "steps per time bin (chosen on validation), test",
     "stdpnet deep seq-repeat networks/deep_seq_event_mnist.toml --models lite --seeds 0-2 "
     "--set model.substeps=2 --out runs/seq-event-mnist-substeps "
     "--record seq_event_mnist_substeps --threads 1"),
    ("seq_length_positions", "Sequence length, 4 epochs: LITE-SNN with and without the position "
     "code in its attention (the test figures of both settings here were read by one command that "
     "scored both on test, which seq-repeat refuses; the command shown gives the validation figures)",
     "stdpnet deep seq-repeat networks/deep_seq_length.toml --models lite --seeds 0-2 "
     "--set model.positions=none,sinusoidal --set data.pixel_steps=28,112,392 --epochs 4 --validation-only "
     "--out runs/select_seq_length_positions --record seq_length_positions --threads 1"),
    ("seq_length_positions_test", "Sequence length, 4 epochs: LITE-SNN with the position code (chosen on "
     "validation), test accuracy",
     "stdpnet deep seq-repeat networks/deep_seq_length.toml --models lite --seeds 0-2 "
     "--set model.positions=sinusoidal --set data.pixel_steps=28,112,392 --epochs 4 "
     "--out runs/seq-length-positions-test --record seq_length_positions_test --threads 1"),
    ("seq_mnist_rows_stride", "Sequential MNIST, rows: LITE-SNN's convolution stride on validation",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_rows.toml --models lite --seeds 0-2 "
     "--set model.stride=1,2,3,4,5 --validation-only --out runs/select_seq_rows_stride "
     "--record seq_mnist_rows_stride --threads 1"),
    ("seq_mnist_rows_widths", "Sequential MNIST, rows: LITE-SNN's layer widths at about the same "
     "parameter count, on validation",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_rows.toml --models lite --seeds 0-2 "
     "--set model.channels=[96,48] --validation-only --out runs/select_seq_rows_widths "
     "--record seq_mnist_rows_widths --threads 1"),
    ("seq_mnist_rows_augment", "Sequential MNIST, rows: training digits shifted by up to 2 pixels, "
     "LITE-SNN and the LSTM on validation",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_rows.toml --models lite,lstm --seeds 0-2 "
     "--set data.augment=true --validation-only --out runs/select_seq_rows_augment "
     "--record seq_mnist_rows_augment --threads 1"),
    ("seq_mnist_rows_substeps", "Sequential MNIST, rows: LITE-SNN's neurons taking 2 steps per row "
     "(spike counts), on validation",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_rows.toml --models lite --seeds 0-2 "
     "--set model.substeps=2 --validation-only --out runs/select_seq_rows_substeps "
     "--record seq_mnist_rows_substeps --threads 1"),
    ("seq_mnist_rows_substeps4_selection", "Sequential MNIST, rows: LITE-SNN's neurons taking 4 "
     "steps per row (spike counts), on validation",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_rows.toml --models lite --seeds 0-2 "
     "--set model.substeps=4 --validation-only --out runs/select_seq_rows_substeps4 "
     "--record seq_mnist_rows_substeps4_selection --threads 1"),
    ("seq_mnist_rows_substeps4", "Sequential MNIST, rows: LITE-SNN with 4 neuron steps per row "
     "(chosen on validation)",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_rows.toml --models lite --seeds 0-2 "
     "--set model.substeps=4 --out runs/select_seq_rows_substeps4 "
     "--record seq_mnist_rows_substeps4 --threads 1"),
    ("seq_fsdd_substeps", "Spoken digits as frame sequences: LITE-SNN's neurons taking 2 steps "
     "per frame (spike counts), on validation",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 "
     "--set model.substeps=2 --validation-only --out runs/select_seq_fsdd_substeps "
     "--record seq_fsdd_substeps --threads 1"),
    ("seq_fsdd_trim", "Spoken digits as frame sequences: the silence around the word trimmed or "
     "kept, LITE-SNN and LSTM on validation",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite,lstm --seeds 0-2 "
     "--set fsdd.trim_db=0,30 --validation-only --out runs/select_seq_fsdd_trim "
     "--record seq_fsdd_trim --threads 1"),
    ("seq_fsdd_lstm_trim", "Spoken digits as frame sequences: the LSTM with the silence trimmed "
     "(chosen on validation)",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lstm --seeds 0-2 "
     "--set fsdd.trim_db=30 --out runs/seq-fsdd-lstm-trim --record seq_fsdd_lstm_trim --threads 1"),
    ("seq_fsdd_dropout", "Spoken digits as frame sequences: LITE-SNN with dropout 0.25 before the "
     "readout, on validation",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 "
     "--set model.dropout=0.25 --validation-only --out runs/select_seq_fsdd_dropout "
     "--record seq_fsdd_dropout --threads 1"),
    ("seq_fsdd_positions", "Spoken digits as frame sequences: LITE-SNN with the sinusoidal position "
     "code in its attention, on validation",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 "
     "--set model.positions=sinusoidal --validation-only --out runs/select_seq_fsdd_positions "
     "--record seq_fsdd_positions --threads 1"),
    ("seq_fsdd_perturb", "Spoken digits as frame sequences: LITE-SNN trained on the recordings also "
     "played at 0.9x and 1.1x speed, on validation",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 "
     "--set 'fsdd.perturb=[0.9,1.1]' --validation-only --out runs/select_seq_fsdd_perturb "
     "--record seq_fsdd_perturb --threads 1"),
    ("seq_fsdd_lstm_perturb_selection", "Spoken digits as frame sequences: the LSTM (silence "
     "trimmed) trained on the recordings also played at 0.9x and 1.1x speed, on validation",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lstm --seeds 0-2 "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --validation-only "
     "--out runs/select_seq_fsdd_lstm_perturb --record seq_fsdd_lstm_perturb_selection --threads 1"),
    ("seq_fsdd_lstm_perturb", "Spoken digits as frame sequences: the LSTM with the silence trimmed and "
     "speed copies at 0.9x and 1.1x (chosen on validation)",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lstm --seeds 0-2 "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --out runs/seq-fsdd-lstm-perturb "
     "--record seq_fsdd_lstm_perturb --threads 1"),
    ("seq_fsdd_stride", "Spoken digits as frame sequences: LITE-SNN's convolution stride on validation",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 "
     "--set model.stride=1,2,3 --validation-only --out runs/select_seq_fsdd_stride "
     "--record seq_fsdd_stride --threads 1"),
    ("seq_fsdd_loso_selection", "Spoken digits as frame sequences, leave one speaker out: the "
     "silence trimmed or kept, speed copies or none, LITE-SNN and LSTM on the validation speakers",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite,lstm --seeds 0-2 "
     "--folds speaker --set fsdd.trim_db=0,30 --set 'fsdd.perturb=[],[0.9,1.1]' --validation-only "
     "--out runs/select_seq_fsdd_loso --record seq_fsdd_loso_selection --threads 1"),
    ("seq_fsdd_loso_lite_substeps", "Spoken digits as frame sequences, leave one speaker out: "
     "LITE-SNN's neuron steps per frame (silence trimmed, speed copies), on the validation speakers",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set model.substeps=2,4 --validation-only "
     "--out runs/select_seq_fsdd_loso_lite_substeps --record seq_fsdd_loso_lite_substeps --threads 1"),
    ("seq_fsdd_loso_lite_dropout", "Spoken digits as frame sequences, leave one speaker out: "
     "LITE-SNN's dropout before the readout (silence trimmed, speed copies), on the validation speakers",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set model.dropout=0.1,0.25 --validation-only "
     "--out runs/select_seq_fsdd_loso_lite_dropout --record seq_fsdd_loso_lite_dropout --threads 1"),
    ("seq_fsdd_loso_lite", "Spoken digits as frame sequences, leave one speaker out: LITE-SNN with "
     "the input and neuron steps chosen on the validation speakers",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set model.substeps=4 "
     "--out runs/select_seq_fsdd_loso_lite_substeps --record seq_fsdd_loso_lite --threads 1"),
    ("seq_fsdd_loso", "Spoken digits as frame sequences, leave one speaker out: the LSTM with the "
     "input chosen on the validation speakers, the GRU and TCN given the same",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lstm,gru,tcn --seeds 0-2 "
     "--folds speaker --set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' "
     "--out runs/select_seq_fsdd_loso --record seq_fsdd_loso --threads 1"),
    ("seq_fsdd_loso_extra_voices", "Spoken digits as frame sequences, leave one speaker out: the "
     "LSTM's chosen input with the synthetic voices added to training, on the validation speakers",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lstm --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits "
     "--validation-only --threads 1 --out runs/select_seq_fsdd_loso_extra_voices "
     "--record seq_fsdd_loso_extra_voices"),
    ("seq_fsdd_loso_lite_extra_voices", "Spoken digits as frame sequences, leave one speaker out: "
     "LITE-SNN's chosen input and neuron steps with the synthetic voices added to training, on the "
     "validation speakers",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits "
     "--validation-only --threads 1 --set model.substeps=4 --out runs/select_seq_fsdd_loso_lite_extra_voices "
     "--record seq_fsdd_loso_lite_extra_voices"),
    ("seq_fsdd_loso_synth", "Spoken digits as frame sequences, leave one speaker out: the LSTM with "
     "the synthetic voices added to training (chosen on validation, seq_fsdd_loso_extra_voices), tested",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lstm --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits "
     "--threads 1 --out runs/select_seq_fsdd_loso_extra_voices --record seq_fsdd_loso_synth"),
    ("seq_fsdd_loso_lite_synth", "Spoken digits as frame sequences, leave one speaker out: LITE-SNN with "
     "the synthetic voices added to training (chosen on validation, seq_fsdd_loso_lite_extra_voices), "
     "tested",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits "
     "--threads 1 --set model.substeps=4 --out runs/select_seq_fsdd_loso_lite_extra_voices "
     "--record seq_fsdd_loso_lite_synth"),
    ("seq_fsdd_loso_standardise_selection", "Spoken digits as frame sequences, leave one speaker out: the "
     "LSTM's chosen input (synthetic voices added) with each speaker's features standardised with its own "
     "statistics, on the validation speakers",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lstm --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits --set fsdd.standardise=speaker "
     "--validation-only --threads 1 --out runs/select_seq_fsdd_loso_standardise "
     "--record seq_fsdd_loso_standardise_selection"),
    ("seq_fsdd_loso_lite_standardise_selection", "Spoken digits as frame sequences, leave one speaker out: "
     "LITE-SNN's chosen input and neuron steps (synthetic voices added) with each speaker's features "
     "standardised with its own statistics, on the validation speakers",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits --set fsdd.standardise=speaker "
     "--validation-only --threads 1 --set model.substeps=4 --out runs/select_seq_fsdd_loso_lite_standardise "
     "--record seq_fsdd_loso_lite_standardise_selection"),
    ("seq_fsdd_loso_standardise", "Spoken digits as frame sequences, leave one speaker out: the LSTM with "
     "the synthetic voices and per-speaker standardisation (chosen on validation, "
     "seq_fsdd_loso_standardise_selection), tested",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lstm --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits --set fsdd.standardise=speaker "
     "--threads 1 --out runs/select_seq_fsdd_loso_standardise --record seq_fsdd_loso_standardise"),
    ("seq_fsdd_loso_baselines_standardise", "Spoken digits as frame sequences, leave one speaker out: "
     "the GRU and the TCN given the LSTM's input with per-speaker standardisation (no choice of their own), tested",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models gru,tcn --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits --set fsdd.standardise=speaker "
     "--threads 1 --out runs/seq_fsdd_loso_baselines_standardise --record seq_fsdd_loso_baselines_standardise"),
    ("seq_fsdd_loso_lite_standardise", "Spoken digits as frame sequences, leave one speaker out: LITE-SNN "
     "with the synthetic voices and per-speaker standardisation (chosen on validation, "
     "seq_fsdd_loso_lite_standardise_selection), tested",
     "stdpnet deep seq-repeat networks/deep_seq_fsdd.toml --models lite --seeds 0-2 --folds speaker "
     "--set fsdd.trim_db=30 --set 'fsdd.perturb=[0.9,1.1]' --set fsdd.extra_root=synth_digits --set fsdd.standardise=speaker "
     "--threads 1 --set model.substeps=4 --out runs/select_seq_fsdd_loso_lite_standardise "
     "--record seq_fsdd_loso_lite_standardise"),
    ("seq_event_mnist_stride", "Synthetic event MNIST: LITE-SNN's convolution stride on validation",
     "stdpnet deep seq-repeat networks/deep_seq_event_mnist.toml --models lite --seeds 0-2 "
     "--set model.stride=1,2,3 --validation-only --out runs/select_seq_event_stride "
     "--record seq_event_mnist_stride --threads 1"),
    ("seq_length_stride_selection", "Sequence length, 4 epochs: LITE-SNN's convolution kernel and "
     "stride on validation (position code on)",
     "stdpnet deep seq-repeat networks/deep_seq_length.toml --models lite --seeds 0-2 "
     "--set model.positions=sinusoidal --set model.kernel=5 --set model.stride=3,4,5 "
     "--set data.pixel_steps=28,112,392 --validation-only --out runs/select_seq_length_stride "
     "--record seq_length_stride_selection --threads 1"),
    ("seq_length_stride", "Sequence length, 4 epochs: LITE-SNN with the kernel and stride chosen on "
     "validation (14 and 14), against a spiking RNN of its size",
     "stdpnet deep seq-repeat networks/deep_seq_length.toml --models srnn,lite --seeds 0-2 "
     "--set model.positions=sinusoidal --set model.kernel=14 --set model.stride=14 "
     "--set data.pixel_steps=28,112,392 --out runs/seq-length-stride --record seq_length_stride "
     "--threads 1"),
    ("seq_length_stride_20_epochs", "Sequence length, 20 epochs: LITE-SNN with kernel and stride 14 "
     "(chosen on validation at 4 epochs)",
     "stdpnet deep seq-repeat networks/deep_seq_length.toml --models lite --seeds 0-2 "
     "--set model.positions=sinusoidal --set model.kernel=14 --set model.stride=14 "
     "--set data.pixel_steps=28,112,392 --epochs 20 --out runs/seq-length-stride-20 "
     "--record seq_length_stride_20_epochs --threads 1"),
    ("seq_mnist_permuted", "Permuted sequential MNIST, pixel by pixel (784 steps)",
     "python benchmarks/device_permuted_mnist.py --budget 520"),
    ("seq_mnist_permuted_stride_selection", "Permuted sequential MNIST: LITE-SNN with kernel and stride "
     "14 on validation (CPU), against stride 1 in seq_mnist_permuted",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_permuted.toml --models lite --seeds 0-2 "
     "--set model.kernel=14 --set model.stride=14 --validation-only --out runs/select_seq_permuted_stride "
     "--record seq_mnist_permuted_stride_selection --threads 1 --device cpu"),
    ("seq_mnist_permuted_stride", "Permuted sequential MNIST: LITE-SNN with kernel and stride 14 "
     "(chosen on validation), CPU",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_permuted.toml --models lite --seeds 0-2 "
     "--set model.kernel=14 --set model.stride=14 --out runs/seq-mnist-permuted-stride "
     "--record seq_mnist_permuted_stride --threads 1 --device cpu"),
    ("seq_mnist_permuted_small_selection", "Permuted sequential MNIST: strided LITE-SNN with fewer "
     "parameters than the LSTM, on validation (CPU)",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_permuted.toml --models lite --seeds 0-2 "
     "--set model.channels=[32,32],[48,32] --set model.kernel=14 --set model.stride=14 "
     "--validation-only --out runs/select_seq_permuted_small "
     "--record seq_mnist_permuted_small_selection --threads 1 --device cpu"),
    ("seq_mnist_permuted_small", "Permuted sequential MNIST: strided LITE-SNN with fewer parameters "
     "than the LSTM (chosen on validation), CPU",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_permuted.toml --models lite --seeds 0-2 "
     "--set model.channels=[48,32] --set model.kernel=14 --set model.stride=14 "
     "--out runs/seq-mnist-permuted-small --record seq_mnist_permuted_small --threads 1 --device cpu"),
    ("seq_mnist_permuted_chunks", "Permuted sequential MNIST read 14 pixels per step (56 steps): "
     "an LSTM of LITE-SNN's size given the same chunks, CPU",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_permuted.toml --models lstm --seeds 0-2 "
     "--set data.pixel_steps=56 --set model.match_parameters=false --set model.hidden=[74] "
     "--out runs/seq-mnist-permuted-chunks --record seq_mnist_permuted_chunks --threads 1 --device cpu"),
    ("seq_mnist_permuted_substeps_selection", "Permuted sequential MNIST: the strided LITE-SNN "
     "with 2 neuron steps per input step (spike counts), on validation (CPU)",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_permuted.toml --models lite --seeds 0-2 "
     "--set model.channels=[48,32] --set model.kernel=14 --set model.stride=14 "
     "--set model.substeps=2 --validation-only --out runs/select_seq_permuted_substeps "
     "--record seq_mnist_permuted_substeps_selection --threads 1 --device cpu"),
    ("seq_mnist_permuted_substeps", "Permuted sequential MNIST: the strided LITE-SNN with 2 neuron "
     "steps per input step (chosen on validation), CPU",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_permuted.toml --models lite --seeds 0-2 "
     "--set model.channels=[48,32] --set model.kernel=14 --set model.stride=14 "
     "--set model.substeps=2 --out runs/seq-mnist-permuted-substeps "
     "--record seq_mnist_permuted_substeps --threads 1 --device cpu"),
    ("seq_mnist_permuted_substeps4_selection", "Permuted sequential MNIST: the strided LITE-SNN "
     "with 4 neuron steps per input step (spike counts), on validation (CPU)",
     "stdpnet deep seq-repeat networks/deep_seq_mnist_permuted.toml --models lite --seeds 0-2 "
     "--set model.channels=[48,32] --set model.kernel=14 --set model.stride=14 "
     "--set model.substeps=4 --validation-only --out runs/select_seq_permuted_substeps4 "
     "--record seq_mnist_permuted_substeps4_selection --threads 1 --device cpu"),
    ("deep_mnist_vgg", "Torch path: MNIST, small VGG, ANN then DIET-SNN (T = 5) then IIR-SNN (T = 1)",
     "stdpnet deep repeat networks/deep_mnist_vgg.toml --methods diet,iir --seeds 0-2 "
     "--out runs/deep-mnist-vgg --record deep_mnist_vgg --threads 1"),
    ("fsdd_audio_400_speakers", "Spoken digits (FSDD), 400 neurons, leave one speaker out",
     "stdpnet sweep networks/fsdd_audio_400_speakers.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_speakers"),
    ("fsdd_speakers_linear", "Spoken digits (FSDD), leave one speaker out: a linear classifier on the "
     "network's inputs",
     "python benchmarks/speaker_baseline.py --record fsdd_speakers_linear"),
    ("fsdd_audio_400_loso", "Spoken digits (FSDD), 400 neurons, leave one speaker out, 30 frames per "
     "utterance (the input chosen on the validation speakers)",
     "stdpnet sweep networks/fsdd_audio_400_loso.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_loso"),
    ("fsdd_loso_linear", "Spoken digits (FSDD), leave one speaker out, 30 frames per utterance: a linear "
     "classifier on the network's inputs",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_loso.toml --record fsdd_loso_linear"),
    ("fsdd_speakers_features", "Spoken digits (FSDD), leave one speaker out: cepstral coefficients and "
     "frames per utterance on the validation speakers (seed 0)",
     "stdpnet sweep networks/fsdd_audio_400_speakers.toml --folds speaker --set data.audio_bands=20,13,10 "
     "--set data.audio_frames=20,30 --seeds 0 --record fsdd_speakers_features "
     "--out runs/select_fsdd_speakers_features"),
    ("fsdd_speakers_frames", "Spoken digits (FSDD), leave one speaker out: 20 against 30 frames per "
     "utterance on the validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_speakers.toml --folds speaker --set data.audio_frames=20,30 "
     "--seeds 0-2 --record fsdd_speakers_frames --out runs/select_fsdd_speakers_features"),
    ("fsdd_loso_deltas", "Spoken digits (FSDD), leave one speaker out: cepstral coefficients with and "
     "without their deltas on the validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_loso.toml --folds speaker --set data.audio_deltas=false,true "
     "--seeds 0-2 --record fsdd_loso_deltas --out runs/select_fsdd_loso_deltas"),
    ("fsdd_loso_trim", "Spoken digits (FSDD), leave one speaker out: the silence around the word "
     "trimmed or kept, on validation speakers that rotate over the folds",
     "stdpnet sweep networks/fsdd_audio_400_loso.toml --folds speaker --set data.validation_pick=next "
     "--set data.audio_trim_db=0,30 --seeds 0-2 --record fsdd_loso_trim --out runs/select_fsdd_loso_trim"),
    ("fsdd_audio_400_trim", "Spoken digits (FSDD), 400 neurons, leave one speaker out, silence trimmed "
     "(chosen on rotating validation speakers)",
     "stdpnet sweep networks/fsdd_audio_400_trim.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_trim"),
    ("fsdd_trim_perturb", "Spoken digits (FSDD), leave one speaker out, silence trimmed: speed "
     "perturbation of 0.8 to 1.2 against 0.9 and 1.1, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_trim.toml --folds speaker "
     "--set 'data.audio_perturb=[0.8,0.9,1.1,1.2]' --seeds 0-2 --record fsdd_trim_perturb "
     "--out runs/select_fsdd_trim_perturb"),
    ("fsdd_trim_epochs", "Spoken digits (FSDD), leave one speaker out, silence trimmed: 5 passes "
     "over the training recordings against 3, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_trim.toml --folds speaker --set data.epochs=5 --seeds 0-2 "
     "--record fsdd_trim_epochs --out runs/select_fsdd_trim_epochs"),
    ("fsdd_trim_epochs_curve", "Spoken digits (FSDD), leave one speaker out, silence trimmed: validation "
     "accuracy after each of 5 passes (the runs of fsdd_trim_epochs)",
     "python benchmarks/learning_curve.py runs/select_fsdd_trim_epochs/tasks/* --jobs 1 "
     "--record fsdd_trim_epochs_curve"),
    ("fsdd_trim_epochs_curve_likelihood", "Spoken digits (FSDD), leave one speaker out, silence trimmed: "
     "validation accuracy of the likelihood readout after each of 5 passes (the runs of fsdd_trim_epochs)",
     "python benchmarks/learning_curve.py runs/select_fsdd_trim_epochs/tasks/* --jobs 2 --readout likelihood "
     "--record fsdd_trim_epochs_curve_likelihood"),
    ("fsdd_audio_400_trim_epochs", "Spoken digits (FSDD), 400 neurons, leave one speaker out, silence "
     "trimmed, 5 passes (chosen on rotating validation speakers)",
     "stdpnet sweep networks/fsdd_audio_400_trim_epochs.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_trim_epochs --out runs/measure_fsdd_trim_epochs"),
    ("fsdd_trim_linear", "Spoken digits (FSDD), leave one speaker out, silence trimmed: a linear "
     "classifier on the network's inputs",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_trim.toml --record fsdd_trim_linear"),
    ("fsdd_one_pass_perturb", "Spoken digits (FSDD), leave one speaker out, silence trimmed, one pass: "
     "no speed perturbation, or 0.8 to 1.2, against 0.9 and 1.1, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_one_pass.toml --folds speaker "
     "--set 'data.audio_perturb=[],[0.8,0.9,1.1,1.2]' --seeds 0-2 --record fsdd_one_pass_perturb "
     "--out runs/select_fsdd_one_pass_perturb --workers 2"),
    ("fsdd_one_pass_z", "Spoken digits (FSDD), leave one speaker out, silence trimmed, one pass: "
     "ON/OFF saturation at 1.0 or 2.0 standard deviations against 1.5, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_one_pass.toml --folds speaker --set data.audio_on_off_z=1.0,2.0 "
     "--seeds 0-2 --record fsdd_one_pass_z --out runs/select_fsdd_one_pass_z --workers 2"),
    ("fsdd_one_pass_eta", "Spoken digits (FSDD), leave one speaker out, silence trimmed, one pass: "
     "learning rate eta_post 0.0015 or 0.006 against 0.003, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_one_pass.toml --folds speaker "
     "--set plasticity.eta_post=0.0015,0.006 --seeds 0-2 --record fsdd_one_pass_eta "
     "--out runs/select_fsdd_one_pass_eta --workers 2"),
    ("fsdd_one_pass_examples", "Spoken digits (FSDD), leave one speaker out, silence trimmed, one "
     "pass: the first 1,500 or 3,000 training examples against all 4,500, on the rotating "
     "validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_one_pass.toml --folds speaker "
     "--set data.train_examples=1500,3000 --seeds 0-2 --record fsdd_one_pass_examples "
     "--out runs/select_fsdd_one_pass_examples --workers 2"),
    ("fsdd_audio_400_one_pass", "Spoken digits (FSDD), 400 neurons, leave one speaker out, silence "
     "trimmed, one pass (chosen on rotating validation speakers)",
     "stdpnet sweep networks/fsdd_audio_400_one_pass.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_one_pass --workers 2 --out runs/measure_fsdd_one_pass"),
    ("fsdd_audio_400_one_pass_refit", "Spoken digits (FSDD), 400 neurons, leave one speaker out, the "
     "setting of fsdd_audio_400_one_pass trained on the validation speaker too (four voices)",
     "stdpnet sweep networks/fsdd_audio_400_one_pass_refit.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_one_pass_refit --workers 2 --out runs/measure_fsdd_one_pass_refit"),
    ("fsdd_one_pass_inhibition", "Spoken digits (FSDD), leave one speaker out, silence trimmed, one "
     "pass: lateral inhibition (inh_to_exc) 8 or 12 against 17, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_one_pass.toml --folds speaker "
     "--set connections.inh_to_exc=8,12 --seeds 0-2 --record fsdd_one_pass_inhibition "
     "--out runs/select_fsdd_one_pass_inhibition --workers 1"),
    ("fsdd_audio_400_inh8", "Spoken digits (FSDD), 400 neurons, leave one speaker out, one pass, "
     "lateral inhibition 8 (chosen on rotating validation speakers)",
     "stdpnet sweep networks/fsdd_audio_400_inh8.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_inh8 --workers 2 --out runs/measure_fsdd_inh8"),
    ("fsdd_audio_400_inh8_refit", "Spoken digits (FSDD), 400 neurons, leave one speaker out, the "
     "setting of fsdd_audio_400_inh8 trained on the validation speaker too (four voices)",
     "stdpnet sweep networks/fsdd_audio_400_inh8_refit.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_inh8_refit --workers 2 --out runs/measure_fsdd_inh8_refit"),
    ("fsdd_audio_400_refit", "Spoken digits (FSDD), 400 neurons, leave one speaker out, the setting "
     "of fsdd_audio_400_trim_epochs trained on the validation speaker too (four voices)",
     "stdpnet sweep networks/fsdd_audio_400_refit.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_refit --workers 2 --out runs/measure_fsdd_refit"),
    ("fsdd_refit_linear", "Spoken digits (FSDD), leave one speaker out: a linear classifier on the "
     "network's inputs, refitted on four voices",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_refit.toml --record fsdd_refit_linear"),
    ("fsdd_inh8_extra_voices", "Spoken digits (FSDD), leave one speaker out, one pass, lateral inhibition "
     "8: synthetic voices added to training (8 or 50 espeak-ng voices) against none, on the rotating "
     "validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_inh8.toml --folds speaker --seeds 0-2 "
     "--set 'data.audio_extra_root=\"\",synth_digits,datasets/synth_voices50/recordings' "
     "--out runs/select_fsdd_extra_voices --record fsdd_inh8_extra_voices --workers 2"),
    ("fsdd_audio_400_synth", "Spoken digits (FSDD), 400 neurons, leave one speaker out, one pass, "
     "lateral inhibition 8, synthetic voices added to training (chosen on rotating validation speakers)",
     "stdpnet sweep networks/fsdd_audio_400_synth.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_synth --workers 2"),
    ("fsdd_audio_400_synth_refit", "Spoken digits (FSDD), 400 neurons, leave one speaker out, the "
     "setting of fsdd_audio_400_synth trained on the validation speaker too (four voices and the "
     "synthetic ones)",
     "stdpnet sweep networks/fsdd_audio_400_synth_refit.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_synth_refit --workers 2"),
    ("fsdd_audio_400_theta_xtar", "Spoken digits (FSDD), 400 neurons, leave one speaker out, one pass, "
     "lateral inhibition 8, synthetic voices added, theta_plus 0.025 mV and x_tar 0.4 (chosen on rotating "
     "validation speakers)",
     "stdpnet sweep networks/fsdd_audio_400_theta_xtar.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_theta_xtar --workers 2"),
    ("fsdd_audio_400_theta_xtar_refit", "Spoken digits (FSDD), 400 neurons, leave one speaker out, the "
     "setting of fsdd_audio_400_theta_xtar trained on the validation speaker too (four voices and the "
     "synthetic ones)",
     "stdpnet sweep networks/fsdd_audio_400_theta_xtar_refit.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_theta_xtar_refit --workers 2"),
    ("fsdd_audio_400_standardise", "Spoken digits (FSDD), 400 neurons, leave one speaker out, one pass, "
     "lateral inhibition 8, synthetic voices added, theta_plus 0.025 mV, x_tar 0.4, inputs standardised "
     "per speaker (chosen on rotating validation speakers)",
     "stdpnet sweep networks/fsdd_audio_400_standardise.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_standardise --workers 2"),
    ("fsdd_audio_400_standardise_refit", "Spoken digits (FSDD), 400 neurons, leave one speaker out, the "
     "setting of fsdd_audio_400_standardise trained on the validation speaker too (four voices and the "
     "synthetic ones)",
     "stdpnet sweep networks/fsdd_audio_400_standardise_refit.toml --folds speaker --seeds 0-2 --test "
     "--record fsdd_audio_400_standardise_refit --workers 2"),
    ("fsdd_standardise_linear", "Spoken digits (FSDD), leave one speaker out: a linear classifier on the "
     "network's inputs standardised per speaker, synthetic voices added to training",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_standardise.toml "
     "--record fsdd_standardise_linear"),
    ("fsdd_standardise_refit_linear", "Spoken digits (FSDD), leave one speaker out: a linear classifier on "
     "the network's inputs standardised per speaker, synthetic voices added to training, refitted on four "
     "voices",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_standardise_refit.toml "
     "--record fsdd_standardise_refit_linear"),
    ("fsdd_synth_linear", "Spoken digits (FSDD), leave one speaker out: a linear classifier on the "
     "network's inputs with the synthetic voices added to training",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_synth.toml --record fsdd_synth_linear"),
    ("fsdd_synth_refit_linear", "Spoken digits (FSDD), leave one speaker out: a linear classifier on the "
     "network's inputs with the synthetic voices added to training, refitted on four voices",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_synth_refit.toml "
     "--record fsdd_synth_refit_linear"),
    ("fsdd_inh8_extra_voices_counts", "Spoken digits (FSDD), leave one speaker out, one pass, lateral "
     "inhibition 8: a logistic regression on the ensemble's spike counts (the runs of "
     "fsdd_inh8_extra_voices), on the rotating validation speakers",
     "python benchmarks/spike_count_readout.py runs/select_fsdd_extra_voices "
     "--spec networks/fsdd_audio_400_inh8.toml --record fsdd_inh8_extra_voices_counts"),
    ("fsdd_synth_neurons", "Spoken digits (FSDD), leave one speaker out, one pass, lateral inhibition "
     "8, synthetic voices added: 400 against 1,600 excitatory neurons, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_inh8.toml --folds speaker --seeds 0-2 "
     "--set data.audio_extra_root=synth_digits --set excitatory.n_neurons=400,1600 "
     "--out runs/select_fsdd_synth_neurons --record fsdd_synth_neurons --workers 2"),
    ("fsdd_synth_neurons_counts", "Spoken digits (FSDD), leave one speaker out, synthetic voices added: a "
     "logistic regression on the spike counts of 400 and 1,600 neurons (the runs of fsdd_synth_neurons), "
     "on the rotating validation speakers",
     "python benchmarks/spike_count_readout.py runs/select_fsdd_synth_neurons "
     "--spec networks/fsdd_audio_400_inh8.toml --record fsdd_synth_neurons_counts"),
    ("fsdd_synth_theta", "Spoken digits (FSDD), leave one speaker out, one pass, lateral inhibition 8, "
     "synthetic voices added: the adaptive threshold's increment per spike (theta_plus), on the rotating "
     "validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_inh8.toml --folds speaker --seeds 0-2 "
     "--set data.audio_extra_root=synth_digits --set excitatory.theta_plus_mV=0.0125,0.025,0.05,0.1,0.2 "
     "--out runs/select_fsdd_synth_theta --record fsdd_synth_theta --workers 2"),
    ("fsdd_synth_xtar", "Spoken digits (FSDD), leave one speaker out, one pass, lateral inhibition 8, "
     "synthetic voices added: the STDP target trace x_tar, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_inh8.toml --folds speaker --seeds 0-2 "
     "--set data.audio_extra_root=synth_digits --set plasticity.x_tar=0.05,0.1,0.2,0.3,0.4 "
     "--out runs/select_fsdd_synth_xtar --record fsdd_synth_xtar --workers 2"),
    ("fsdd_synth_theta_xtar", "Spoken digits (FSDD), leave one speaker out, one pass, lateral inhibition "
     "8, synthetic voices added: theta_plus 0.025 or 0.05 mV with x_tar 0.1 or 0.4, on the rotating "
     "validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_inh8.toml --folds speaker --seeds 0-2 "
     "--set data.audio_extra_root=synth_digits --set excitatory.theta_plus_mV=0.025,0.05 "
     "--set plasticity.x_tar=0.1,0.4 --out runs/select_fsdd_synth_theta_xtar "
     "--record fsdd_synth_theta_xtar --workers 2"),
    ("fsdd_synth_theta_xtar_edge", "Spoken digits (FSDD), leave one speaker out, one pass, lateral "
     "inhibition 8, synthetic voices added: theta_plus 0.0125 or 0.025 mV with x_tar 0.4 or 0.6, beyond "
     "the edge of fsdd_synth_theta_xtar's grid, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_inh8.toml --folds speaker --seeds 0-2 "
     "--set data.audio_extra_root=synth_digits --set excitatory.theta_plus_mV=0.0125,0.025 "
     "--set plasticity.x_tar=0.4,0.6 --out runs/select_fsdd_synth_theta_xtar_edge "
     "--record fsdd_synth_theta_xtar_edge --workers 1"),
    ("fsdd_synth_theta_xtar_counts", "Spoken digits (FSDD), leave one speaker out, synthetic voices "
     "added: a logistic regression on the spike counts of the runs of fsdd_synth_theta_xtar, on the "
     "rotating validation speakers",
     "python benchmarks/spike_count_readout.py runs/select_fsdd_synth_theta_xtar "
     "--spec networks/fsdd_audio_400_inh8.toml --record fsdd_synth_theta_xtar_counts"),
    ("fsdd_logmel_linear", "Spoken digits (FSDD), leave one speaker out, synthetic voices added: a "
     "linear classifier on log-mel inputs instead of cepstral coefficients, on the rotating validation "
     "speakers",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_theta_xtar.toml "
     "--set data.audio_feature=logmel --validation-only --record fsdd_logmel_linear"),
    ("fsdd_cochlea_linear", "Spoken digits (FSDD), leave one speaker out, synthetic voices added: a "
     "linear classifier on the cochlea-like filterbank's inputs instead of cepstral coefficients, on "
     "the rotating validation speakers",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_theta_xtar.toml "
     "--set data.audio_feature=cochlea --validation-only --record fsdd_cochlea_linear"),
    ("fsdd_mfcc_centroid", "Spoken digits (FSDD), leave one speaker out, synthetic voices added: the "
     "nearest class centroid on cepstral inputs, on the rotating validation speakers",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_theta_xtar.toml "
     "--model centroid --validation-only --record fsdd_mfcc_centroid"),
    ("fsdd_logmel_centroid", "Spoken digits (FSDD), leave one speaker out, synthetic voices added: the "
     "nearest class centroid on log-mel inputs, on the rotating validation speakers",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_theta_xtar.toml "
     "--set data.audio_feature=logmel --model centroid --validation-only --record fsdd_logmel_centroid"),
    ("fsdd_cochlea_centroid", "Spoken digits (FSDD), leave one speaker out, synthetic voices added: the "
     "nearest class centroid on cochlea-like filterbank inputs, on the rotating validation speakers",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_theta_xtar.toml "
     "--set data.audio_feature=cochlea --model centroid --validation-only --record fsdd_cochlea_centroid"),
    ("fsdd_theta_xtar_feature", "Spoken digits (FSDD), leave one speaker out, one pass, lateral "
     "inhibition 8, synthetic voices added, theta_plus 0.025 mV, x_tar 0.4: cepstral coefficients, "
     "log-mel bands or the cochlea-like filterbank, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_inh8.toml --folds speaker --seeds 0-2 "
     "--set data.audio_extra_root=synth_digits --set excitatory.theta_plus_mV=0.025 "
     "--set plasticity.x_tar=0.4 --set data.audio_feature=mfcc,logmel,cochlea "
     "--out runs/select_fsdd_theta_xtar_feature --record fsdd_theta_xtar_feature --workers 1"),
    ("fsdd_theta_xtar_standardise", "Spoken digits (FSDD), leave one speaker out, the ensemble of "
     "fsdd_audio_400_theta_xtar.toml with each speaker's inputs standardised with that speaker's own "
     "statistics, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_theta_xtar.toml --folds speaker --seeds 0-2 "
     "--set data.audio_standardise=speaker --out runs/select_fsdd_standardise "
     "--record fsdd_theta_xtar_standardise --workers 2"),
    ("fsdd_standardise_z", "Spoken digits (FSDD), leave one speaker out, the ensemble of "
     "fsdd_audio_400_theta_xtar.toml with inputs standardised per speaker: ON/OFF saturation at 1.0 or 2.0 "
     "standard deviations, on the rotating validation speakers",
     "stdpnet sweep networks/fsdd_audio_400_theta_xtar.toml --folds speaker --seeds 0-2 "
     "--set data.audio_standardise=speaker --set data.audio_on_off_z=1.0,2.0 "
     "--out runs/select_fsdd_standardise_z --record fsdd_standardise_z --workers 2"),
    ("fsdd_speaker_norm_centroid", "Spoken digits (FSDD), leave one speaker out, synthetic voices added: "
     "the nearest class centroid on cepstral inputs standardised per speaker, on the rotating validation "
     "speakers",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_theta_xtar.toml "
     "--set data.audio_standardise=speaker --model centroid --validation-only "
     "--record fsdd_speaker_norm_centroid"),
    ("fsdd_speaker_norm_linear", "Spoken digits (FSDD), leave one speaker out, synthetic voices added: "
     "a logistic regression on cepstral inputs standardised per speaker, on the rotating validation "
     "speakers",
     "python benchmarks/speaker_baseline.py --spec networks/fsdd_audio_400_theta_xtar.toml "
     "--set data.audio_standardise=speaker --validation-only --record fsdd_speaker_norm_linear"),
    ("audiovisual_rules", "Audio-visual network: the combining rules on the validation pairs",
     "python benchmarks/combining_rules.py runs/measure_audiovisual/tasks/* --record audiovisual_rules"),
    ("speed", "Speed: ms per MNIST example against a plain Brian2 cpp_standalone network, one core "
     "(values per repeat)",
     "taskset -c 0 python benchmarks/speed.py --sizes 100 400 1600 --examples 1000 "
     "--plain-examples 100 --runtime-sizes 100 400 --repeats 3 --test-dt 0 1.0 --record speed"),
    ("sweep_throughput", "Sweep throughput on Dask: 1 and 2 workers, and plain pinned processes "
     "(values per repeat)",
     "python benchmarks/sweep_throughput.py --tasks 4 --examples 8000 --validation 5000 --workers 1 2 "
     "--ceiling --repeats 3 --record sweep_throughput"),
    ("sweep_throughput_8_tasks", "Sweep throughput on Dask, sweeps of 8 tasks: 1 and 2 workers, and "
     "plain pinned processes (values per repeat)",
     "python benchmarks/sweep_throughput.py --tasks 8 --examples 8000 --validation 5000 --workers 1 2 "
     "--ceiling --repeats 3 --record sweep_throughput_8_tasks"),
    ("sweep_throughput_16_tasks", "Sweep throughput on Dask, sweeps of 16 tasks: 1 and 2 workers "
     "(values per repeat)",
     "python benchmarks/sweep_throughput.py --tasks 16 --examples 8000 --validation 5000 --workers 1 2 "
     "--repeats 3 --record sweep_throughput_16_tasks"),
    ("speed_precision", "Speed at N = 400 in double and single precision, against the plain "
     "standalone network, one core (values per repeat)",
     "taskset -c 1 python benchmarks/speed.py --sizes 400 --examples 1000 --plain-examples 100 "
     "--skip-runtime --repeats 6 --test-dt 0 1.0 --precision double single --record speed_precision"),
    ("mnist_400_precision", "MNIST 400: validation accuracy in double and single precision "
     "(schedule.precision)",
     "stdpnet sweep networks/mnist_400.toml --set schedule.precision=double,single --seeds 0-2 "
     "--record mnist_400_precision"),
    ("lif_scan_speed", "LITE-SNN training step on one CPU core: LIF stepped per timestep over the "
     "whole-sequence LIF (values per repeat)",
     "taskset -c 0 python benchmarks/lif_scan_speed.py --repeats 5 --record lif_scan_speed"),
)
